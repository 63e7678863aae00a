import { parseArgs } from 'node:util';
import { suggest } from '../core/suggest.js';

/**
 * Every subcommand reads its arguments here, with Node's `util.parseArgs`, so `--help`, an
 * unknown option and a stray argument get the same answer everywhere: help on stdout with exit
 * 0, or one line saying what is wrong (with the nearest known option) and the usage, exit 2.
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in help (`<env>`); string options only. */
  value?: string;
  text: string;
}

export interface CommandSpec {
  /** As typed after `slipway`: `deploy`, `config check`. */
  name: string;
  /** One line: what the command does. */
  summary: string;
  /** Synopsis lines, each after `slipway `. */
  usage: string[];
  options: Record<string, OptionSpec>;
  /** At most this many positional arguments (the chat-grammar verbs leave it to the grammar). */
  maxPositionals: number;
  /** Lines of `slipway …` that work as typed (with the example config). */
  examples: string[];
  /** Mistakes people make, with the option they meant: `--env` → `--to`. */
  aliases?: Record<string, string>;
  /** More to say after the options. */
  notes?: string;
}

export const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', text: 'show this help' };

/** A command line that does not fit the command: printed with its usage, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly spec: CommandSpec | null,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

export interface ParsedArgs {
  help: boolean;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** In the order given (the chat-grammar verbs keep `--to x` where it was typed). */
  tokens: Token[];
}

function withHelp(spec: CommandSpec): Record<string, OptionSpec> {
  return { ...spec.options, help: HELP_OPTION };
}

/** Reads `args` for `spec`; throws UsageError with a sentence a person can act on. */
export function readArgs(spec: CommandSpec, args: string[]): ParsedArgs {
  const options = withHelp(spec);
  const config = Object.fromEntries(
    Object.entries(options).map(([name, o]) => [
      name,
      o.short ? { type: o.type, short: o.short } : { type: o.type },
    ]),
  );
  // Non-strict first: it never throws, so every mistake below gets our own wording.
  const loose = parseArgs({
    args,
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const tokens = loose.tokens ?? [];
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) {
    return { help: true, values: {}, positionals: [], tokens };
  }
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const known = options[token.name];
    if (!known) throw new UsageError(unknownOption(spec, token.rawName), spec);
    if (known.type === 'string' && token.value === undefined)
      throw new UsageError(
        `${token.rawName} needs a value: ${optionLabel(token.name, known)}.`,
        spec,
      );
    if (known.type === 'boolean' && token.value !== undefined)
      throw new UsageError(`${token.rawName} takes no value (got "${token.value}").`, spec);
  }
  const positionals = loose.positionals;
  if (positionals.length > spec.maxPositionals) {
    const extra = positionals.slice(spec.maxPositionals).join(' ');
    throw new UsageError(
      spec.maxPositionals === 0
        ? `slipway ${spec.name} takes no arguments; unexpected "${extra}".`
        : `Unexpected argument "${extra}".`,
      spec,
    );
  }
  return { help: false, values: loose.values, positionals, tokens };
}

function unknownOption(spec: CommandSpec, raw: string): string {
  const names = Object.entries(withHelp(spec)).flatMap(([name, o]) =>
    o.short ? [`--${name}`, `-${o.short}`] : [`--${name}`],
  );
  const meant =
    spec.aliases?.[raw] ??
    (raw.startsWith('--')
      ? suggest(
          raw,
          names.filter((n) => n.startsWith('--')),
        )
      : null);
  return `Unknown option ${raw}.${meant ? ` Did you mean ${meant}?` : ''}`;
}

/** The string value of option `name`, or undefined. */
export function stringValue(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(parsed: ParsedArgs, name: string): boolean {
  return parsed.values[name] === true;
}

function optionLabel(name: string, o: OptionSpec): string {
  const value = o.type === 'string' ? ` ${o.value ?? '<value>'}` : '';
  return `--${name}${o.short ? `, -${o.short}` : ''}${value}`;
}

/** The usage lines alone: what is printed under a usage error. */
export function usageText(spec: CommandSpec): string {
  const [first, ...rest] = spec.usage;
  return [
    `Usage: slipway ${first}`,
    ...rest.map((line) => `       slipway ${line}`),
    `Run "slipway ${spec.name} --help" for the options and examples.`,
  ].join('\n');
}

/** `slipway <command> --help`. */
export function helpText(spec: CommandSpec): string {
  const options = Object.entries(withHelp(spec)).map(([name, o]) => [optionLabel(name, o), o.text]);
  const width = Math.max(...options.map(([label]) => (label ?? '').length)) + 2;
  const [first, ...rest] = spec.usage;
  return [
    `Usage: slipway ${first}`,
    ...rest.map((line) => `       slipway ${line}`),
    '',
    spec.summary,
    '',
    'Options',
    ...options.map(
      ([label = '', text = '']) =>
        `  ${label.padEnd(width)}${text.replaceAll('\n', `\n  ${' '.repeat(width)}`)}`,
    ),
    ...(spec.notes ? ['', spec.notes] : []),
    '',
    spec.examples.length > 1 ? 'Examples' : 'Example',
    ...spec.examples.map((e) => `  slipway ${e}`),
    '',
  ].join('\n');
}

/** What operator commands hand on to the chat grammar, and what they keep for the terminal. */
export interface OperatorArgs {
  text: string;
  json: boolean;
  wait: boolean;
  /** `--force`: `deploy!`, `lock!`, `unlock!`; for the confirmations the CLI asks for too. */
  force: boolean;
  configPath: string | undefined;
}

const WORD_FLAGS: Record<string, string> = { to: 'to', in: 'in', for: 'for' };
/** Verbs with a `!` form in the grammar (commands/parse.ts). */
const FORCEABLE = new Set(['deploy', 'lock', 'unlock']);

/**
 * Turns operator-style arguments into the chat grammar, so the CLI and chat share one parser:
 * `deploy web 1.2.3 --to staging --force --reason "hotfix"` → `deploy! web 1.2.3 to staging -- hotfix`.
 * Plain grammar (`deploy web@1.2.3 to staging`) passes through unchanged; options stay where
 * they were typed.
 */
export function toGrammar(verb: string, parsed: ParsedArgs): OperatorArgs {
  const words: string[] = [];
  for (const token of parsed.tokens) {
    if (token.kind === 'positional') words.push(token.value);
    else if (token.kind === 'option-terminator') words.push('--');
    else if (token.name in WORD_FLAGS) words.push(WORD_FLAGS[token.name] ?? '', token.value ?? '');
    else if (token.name === 'version') {
      if (verb === 'rollback') words.push('to');
      words.push(token.value ?? '');
    }
  }
  const force = flag(parsed, 'force');
  const reason = stringValue(parsed, 'reason');
  let text = `${verb}${force && FORCEABLE.has(verb) ? '!' : ''} ${words.join(' ')}`.trim();
  if (reason) text = `${text} -- ${reason}`;
  return {
    text,
    json: flag(parsed, 'json'),
    wait: !flag(parsed, 'no-wait'),
    force,
    configPath: stringValue(parsed, 'config'),
  };
}
