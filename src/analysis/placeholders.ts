import { SlipwayError } from '../core/errors.js';

/**
 * Placeholders a query may use. `{canary}` and `{primary}` name what the traffic is split
 * between (the label values the canary's and the primary's pods carry); `{interval}` is the
 * analysis interval as a PromQL duration, for range selectors like `[{interval}]`.
 */
export const PLACEHOLDERS = [
  'service',
  'environment',
  'namespace',
  'canary',
  'primary',
  'version',
  'previousVersion',
  'interval',
] as const;
export type PlaceholderName = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Partial<Record<PlaceholderName, string>>;

export class PlaceholderError extends SlipwayError {
  override readonly code = 'analysis_placeholder';
}

/** Where a placeholder sits decides how its value is quoted. */
type Context = { kind: 'code' } | { kind: 'string'; quote: '"' | "'" | '`'; regex: boolean };

export interface PlaceholderUse {
  name: string;
  /** Offset of the opening brace in the query. */
  offset: number;
  length: number;
  context: Context;
}

const NAME = /\{([A-Za-z_][A-Za-z0-9_]*)\}/y;
/** Flagger's `{{ target }}` and Argo Rollouts' `{{args.name}}`, pasted from their templates. */
const TEMPLATE = /\{\{\s*([\w.-]+)\s*\}\}/y;

/**
 * Every `{name}` in a PromQL query with the lexical context around it. Label matchers
 * (`{app="web"}`) never match: a placeholder is a brace around a bare identifier, which PromQL
 * itself never writes. Placeholders in `#` comments are left alone.
 */
export function placeholderUses(query: string): PlaceholderUse[] {
  const uses: PlaceholderUse[] = [];
  let context: Context | { kind: 'comment' } = { kind: 'code' };
  for (let i = 0; i < query.length; i++) {
    const c = query[i] as string;
    if (context.kind === 'comment') {
      if (c === '\n') context = { kind: 'code' };
      continue;
    }
    if (context.kind === 'string') {
      if (c === '\\' && context.quote !== '`') {
        i++;
        continue;
      }
      if (c === context.quote) {
        context = { kind: 'code' };
        continue;
      }
    } else if (c === '#') {
      context = { kind: 'comment' };
      continue;
    } else if (c === '"' || c === "'" || c === '`') {
      context = { kind: 'string', quote: c, regex: /[=!]~\s*$/.test(query.slice(0, i)) };
      continue;
    }
    if (c !== '{') continue;
    TEMPLATE.lastIndex = i;
    const template = TEMPLATE.exec(query);
    if (template) {
      uses.push({ name: template[0], offset: i, length: template[0].length, context });
      i += template[0].length - 1;
      continue;
    }
    NAME.lastIndex = i;
    const match = NAME.exec(query);
    if (!match) continue;
    uses.push({ name: match[1] as string, offset: i, length: match[0].length, context });
    i += match[0].length - 1;
  }
  return uses;
}

/** Why a query's placeholders cannot be filled, or null when they are all known. */
export function placeholderProblem(
  query: string,
  allowed: readonly string[] = PLACEHOLDERS,
): { message: string; fix: string } | null {
  for (const use of placeholderUses(query)) {
    if (use.name.startsWith('{{')) {
      return {
        message: `${use.name} is template syntax from Flagger or Argo Rollouts`,
        fix: `write Slipway's placeholders with single braces: ${allowed.map((n) => `{${n}}`).join(' ')}`,
      };
    }
    if (!allowed.includes(use.name)) {
      const known = (PLACEHOLDERS as readonly string[]).includes(use.name);
      return {
        message: known
          ? `{${use.name}} has no value here`
          : `{${use.name}} is not a placeholder Slipway knows`,
        fix: `use ${allowed.map((n) => `{${n}}`).join(' ')}`,
      };
    }
  }
  return null;
}

export interface ExpandedQuery {
  text: string;
  /** The offset in the query as written that produced `offset` in `text`. */
  writtenOffset(offset: number): number;
}

/**
 * Fills a query's placeholders, quoting each value for where it stands: escaped for the
 * string it is in, regex-escaped inside `=~`/`!~` matchers (a version "1.2.3+b" must not turn
 * into a pattern), and refused outside quotes unless it is a plain word, so no value can
 * change the shape of the query. Throws PlaceholderError saying which placeholder and why.
 */
export function expandQuery(query: string, values: PlaceholderValues): ExpandedQuery {
  const problem = placeholderProblem(query);
  if (problem) throw new PlaceholderError(`${problem.message}: ${problem.fix}`);
  let text = '';
  let from = 0;
  // [offset in text, offset in query] at the start of each copied stretch.
  const anchors: [number, number][] = [];
  for (const use of placeholderUses(query)) {
    text += query.slice(from, use.offset);
    anchors.push([text.length, use.offset]);
    text += quoted(use, values[use.name as PlaceholderName]);
    from = use.offset + use.length;
    anchors.push([text.length, from]);
  }
  text += query.slice(from);
  return {
    text,
    writtenOffset(offset) {
      let written = offset;
      for (const [at, source] of anchors) {
        if (at > offset) break;
        written = source + (offset - at);
      }
      return written;
    },
  };
}

function quoted(use: PlaceholderUse, value: string | undefined): string {
  if (value === undefined) {
    throw new PlaceholderError(
      `{${use.name}} has no value for this deployment: remove it from the query, or use it only where Slipway can fill it`,
    );
  }
  const { context } = use;
  if (context.kind !== 'string') {
    if (/^[A-Za-z0-9_:.]+$/.test(value)) return value;
    throw new PlaceholderError(
      `{${use.name}} stands outside quotes and its value ${JSON.stringify(value)} is not a plain word: put it in a label matcher, e.g. app="{${use.name}}"`,
    );
  }
  const inner = context.regex ? value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&') : value;
  if (context.quote === '`') {
    if (inner.includes('`')) {
      throw new PlaceholderError(
        `{${use.name}} is in a backquoted string and its value ${JSON.stringify(value)} contains a backquote: use double quotes around it`,
      );
    }
    return inner;
  }
  return inner
    .replace(/\\/g, '\\\\')
    .replaceAll(context.quote, `\\${context.quote}`)
    .replace(/\n/g, '\\n');
}

/** An interval as PromQL writes durations: `1m`, `1h30m`, `1500ms`. */
export function promDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  let rest = ms / 1000;
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/** The 1-based line and column of `offset` in `text`, as Prometheus reports positions. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** The offset of a 1-based line and column in `text`. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) break;
    offset = next + 1;
  }
  return Math.min(offset + column - 1, text.length);
}
