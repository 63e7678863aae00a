/**
 * `successCondition`, the small language Argo Rollouts users already write
 * (argo-rollouts docs/features/analysis.md): comparisons of `result` or `result[i]` with
 * numbers, joined by `and`/`&&`, `or`/`||`, `not`/`!` and parentheses. Parsed into a tree and
 * evaluated here; nothing is ever passed to `eval`, so a condition cannot run code.
 */

export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export type Operand = { kind: 'number'; value: number } | { kind: 'result'; index: number | null };

export type ConditionNode =
  | { kind: 'compare'; op: Comparator; left: Operand; right: Operand }
  | { kind: 'and' | 'or'; left: ConditionNode; right: ConditionNode }
  | { kind: 'not'; operand: ConditionNode };

export type ParsedCondition =
  | { ok: true; node: ConditionNode }
  | { ok: false; message: string; column: number };

type Token =
  | { kind: 'number'; value: number; at: number; text: string }
  | { kind: 'word'; text: string; at: number }
  | { kind: 'symbol'; text: string; at: number }
  | { kind: 'end'; at: number; text: '' };

class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const SYMBOLS = ['<=', '>=', '==', '!=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '='];
const NUMBER = /[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const previous = tokens[tokens.length - 1];
    // A sign belongs to a number only where an operand may start: `result-1` is not a number.
    const operandMayStart = !previous || previous.kind === 'symbol';
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number && (operandMayStart || !/[+-]/.test(c))) {
      tokens.push({ kind: 'number', value: Number(number[0]), at: i, text: number[0] });
      i += number[0].length;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (word) {
      tokens.push({ kind: 'word', text: word[0], at: i });
      i += word[0].length;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (!symbol) throw new ConditionSyntaxError(`unexpected "${c}"`, i);
    tokens.push({ kind: 'symbol', text: symbol, at: i });
    i += symbol.length;
  }
  tokens.push({ kind: 'end', at: text.length, text: '' });
  return tokens;
}

/** Recursive descent: or → and → not → primary (parenthesised or a comparison). */
class Parser {
  private next = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): ConditionNode {
    const node = this.or();
    const rest = this.peek();
    if (rest.kind !== 'end') {
      throw new ConditionSyntaxError(
        `expected "and", "or" or the end after a comparison, found "${rest.text}"`,
        rest.at,
      );
    }
    return node;
  }

  private or(): ConditionNode {
    let left = this.and();
    while (this.accept('or', '||')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  private and(): ConditionNode {
    let left = this.not();
    while (this.accept('and', '&&')) left = { kind: 'and', left, right: this.not() };
    return left;
  }

  private not(): ConditionNode {
    if (this.accept('not', '!')) return { kind: 'not', operand: this.not() };
    if (this.accept('(')) {
      const inner = this.or();
      this.expect(')', 'a closing ")"');
      return inner;
    }
    return this.comparison();
  }

  private comparison(): ConditionNode {
    const left = this.operand();
    const token = this.peek();
    if (token.text === '=') {
      const arrow = this.tokens[this.next + 1]?.text;
      throw new ConditionSyntaxError(
        arrow === '>' || arrow === '<'
          ? `"=${arrow}" is not a comparison: write "${arrow}="`
          : '"=" is not a comparison: write "=="',
        token.at,
      );
    }
    const op = ['<', '<=', '>', '>=', '==', '!='].find((o) => token.text === o);
    if (token.kind !== 'symbol' || !op) {
      throw new ConditionSyntaxError(
        `expected a comparison (< <= > >= == !=), found ${describe(token)}`,
        token.at,
      );
    }
    this.next++;
    return { kind: 'compare', op: op as Comparator, left, right: this.operand() };
  }

  private operand(): Operand {
    const token = this.peek();
    if (token.kind === 'number') {
      this.next++;
      return { kind: 'number', value: token.value };
    }
    if (token.kind === 'word' && token.text === 'result') {
      this.next++;
      if (!this.accept('[')) return { kind: 'result', index: null };
      const index = this.peek();
      if (index.kind !== 'number' || !/^\d+$/.test(index.text)) {
        throw new ConditionSyntaxError(
          `expected an index like result[0], found ${describe(index)}`,
          index.at,
        );
      }
      this.next++;
      this.expect(']', 'a closing "]"');
      return { kind: 'result', index: index.value };
    }
    throw new ConditionSyntaxError(
      `expected "result", "result[<n>]" or a number, found ${describe(token)}`,
      token.at,
    );
  }

  private peek(): Token {
    return this.tokens[this.next] as Token;
  }

  private accept(...texts: string[]): boolean {
    const token = this.peek();
    if (token.kind === 'number' || !texts.includes(token.text)) return false;
    this.next++;
    return true;
  }

  private expect(text: string, what: string): void {
    const token = this.peek();
    if (!this.accept(text)) {
      throw new ConditionSyntaxError(`expected ${what}, found ${describe(token)}`, token.at);
    }
  }
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end' : `"${token.text}"`;
}

/** Parses a condition; a refusal names the problem and its 1-based column. */
export function parseCondition(text: string): ParsedCondition {
  try {
    if (text.trim() === '') return { ok: false, message: 'the condition is empty', column: 1 };
    return { ok: true, node: new Parser(tokenize(text)).parse() };
  } catch (err) {
    if (!(err instanceof ConditionSyntaxError)) throw err;
    return { ok: false, message: err.message, column: err.at + 1 };
  }
}

/**
 * What a condition says of a query's values (one per series, in Prometheus' order):
 * `true`/`false`; `no-data` when a value it reads is missing or NaN (never a failure: the
 * canary may just not have served yet); or a reason when `result` is read from several series.
 */
export type ConditionOutcome = boolean | 'no-data' | { error: string };

export function evaluateCondition(
  node: ConditionNode,
  values: readonly number[],
): ConditionOutcome {
  const read = new Map<string, number>();
  for (const operand of operandsOf(node)) {
    if (operand.kind !== 'result') continue;
    if (operand.index === null && values.length > 1) {
      return {
        error: `the query returned ${values.length} series, so "result" is ambiguous: aggregate the query (sum, avg, max) or write result[0]`,
      };
    }
    const value = values[operand.index ?? 0];
    if (value === undefined || Number.isNaN(value)) return 'no-data';
    read.set(key(operand), value);
  }
  return evaluate(node, read);
}

function evaluate(node: ConditionNode, read: Map<string, number>): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, read) && evaluate(node.right, read);
    case 'or':
      return evaluate(node.left, read) || evaluate(node.right, read);
    case 'not':
      return !evaluate(node.operand, read);
    case 'compare':
      return compare(node.op, operandValue(node.left, read), operandValue(node.right, read));
  }
}

function operandValue(operand: Operand, read: Map<string, number>): number {
  return operand.kind === 'number' ? operand.value : (read.get(key(operand)) as number);
}

export function compare(op: Comparator, a: number, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

function operandsOf(node: ConditionNode): Operand[] {
  switch (node.kind) {
    case 'compare':
      return [node.left, node.right];
    case 'not':
      return operandsOf(node.operand);
    default:
      return [...operandsOf(node.left), ...operandsOf(node.right)];
  }
}

function key(operand: Operand & { kind: 'result' }): string {
  return operand.index === null ? 'result' : `result[${operand.index}]`;
}
