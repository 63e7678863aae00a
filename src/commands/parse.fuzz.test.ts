import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCommand } from './format.js';
import { parseCommand, parseSlashDeploy } from './parse.js';
import type { Command, GrammarContext, ParseResult } from './types.js';
import { COMMAND_NAMES, OVERVIEW, USAGE } from './usage.js';
import { validateVersion } from './version.js';

/**
 * Properties of the grammar over inputs nobody would write by hand: it never throws, what it
 * accepts only names what slipway.yaml names and only versions validateVersion accepts, its
 * errors have the promised shape, and every command it returns formats to text that parses
 * back to the same command.
 */

const RUNS = 2000;

const ctx: GrammarContext = {
  services: ['web', 'api', 'payments-api', 'worker'],
  environments: ['staging', 'production', 'dev', 'qa'],
};

// Names that are also keywords, verbs, durations or numbers: the grammar's hardest cases.
const AWKWARD_NAMES = ['web', 'api', 'to', 'in', 'on', 'for', 'until', 'status', 'lock', 'help'];
const AWKWARD_MORE = ['deploy', '2h', '20', '1', 'staging', 'production', 'x-1'];
const NAME_POOL = [...AWKWARD_NAMES, ...AWKWARD_MORE];

const KEYWORDS = [
  ...COMMAND_NAMES,
  ...COMMAND_NAMES.map((n) => `${n}!`),
  '/deploy',
  'to',
  'in',
  'on',
  'for',
  'until',
  '--',
  '\u2014',
  '\u2013',
  '@',
];
const JUNK = [
  '*',
  '`',
  '```',
  '_',
  '~',
  '"',
  '\u201c',
  '\u2019',
  '<@U024BE7LH>',
  '<http://api.io|api.io>',
  '&amp;',
  '&amp;lt;',
  '&lt;',
  '&gt;',
  '\u200b',
  '\u0000',
  '\u0007',
  '!',
  '.',
  ',',
  '$(id)',
  ';rm -rf /',
  '../..',
  '--upload-pack=x',
  '1.4.2',
  'v2',
  'main',
  '0',
  '101',
  '2',
  'hours',
  '1h30m',
  '0m',
  'web@1.4.2',
  '@1.4.2',
  'web@',
  'wbe',
  'prod',
  'stagign',
  'WEB',
  'Staging',
  'x'.repeat(60),
];
const WHITESPACE = [' ', '  ', '\n', '\t', '\u00a0', ' \r\n '];

const VERSIONS = [
  '1.4.2',
  'v2',
  'main',
  'to',
  'in',
  'on',
  'for',
  'staging',
  'web',
  '_x_',
  'a_',
  '1',
  'feature/x+y',
  'RC-1',
];
const version = fc.oneof(
  fc.constantFrom(...VERSIONS),
  fc
    .stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.\-/+]{0,30}$/)
    .filter((v) => validateVersion(v) === null),
);

// Reasons as they come out of the parser: single-spaced, no control or invisible characters.
const reasonChar = fc.constantFrom(
  ...[...'abxyzAB09<>&"\'*`_~-\u2014\u2013@!?.,:;/()[]{}$#%é漢'],
  '😀',
);
// Whole fragments too: escaping is only tested by a reason that holds "&lt;" as text.
const reasonWord = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: reasonChar, minLength: 1, maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('&amp;', '&lt;x&gt;', '&amp;lt;', '<@U1>', '<https://x.io|x>', '--'),
  },
);
const reason = fc.array(reasonWord, { minLength: 1, maxLength: 6 }).map((words) => words.join(' '));

function commandOf(names: GrammarContext): fc.Arbitrary<Command> {
  const service = fc.constantFrom(...names.services);
  const environment = fc.constantFrom(...names.environments);
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
  return fc.oneof(
    fc.record({
      kind: fc.constant('deploy' as const),
      service,
      version: maybe(version),
      environment: maybe(environment),
      force: fc.boolean(),
      reason: maybe(reason),
    }),
    fc.record({
      kind: fc.constant('rollback' as const),
      service,
      environment: maybe(environment),
      version: maybe(version),
      reason: maybe(reason),
    }),
    fc.record({
      kind: fc.constant('lock' as const),
      environment,
      service: maybe(service),
      durationMs: maybe(
        fc.oneof(fc.integer({ min: 1, max: 30 * 86_400_000 }), fc.constantFrom(60_000, 7_200_000)),
      ),
      reason: maybe(reason),
      force: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('unlock' as const),
      environment,
      service: maybe(service),
      force: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('status' as const), service: maybe(service) }),
    fc.record({
      kind: fc.constant('history' as const),
      service,
      environment: maybe(environment),
      limit: fc.integer({ min: 1, max: 100 }),
    }),
    fc.record({
      kind: fc.constant('help' as const),
      topic: maybe(fc.constantFrom(...COMMAND_NAMES)),
    }),
  );
}

const word = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(...KEYWORDS, ...ctx.services, ...ctx.environments, ...JUNK),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const words = fc
  .array(fc.tuple(word, fc.constantFrom(...WHITESPACE, '')), { maxLength: 12 })
  .map((parts) => parts.map(([w, space]) => w + space).join(''));
// Mostly after a verb: a random first word only ever reaches "Unknown command".
const verb = fc.constantFrom(...COMMAND_NAMES, ...COMMAND_NAMES.map((n) => `${n}!`));
const tokenText = fc.oneof(
  { weight: 1, arbitrary: words },
  { weight: 3, arbitrary: fc.tuple(verb, words).map(([v, rest]) => `${v} ${rest}`) },
);

/** Commands in the grammar's shape whose every slot is now and then a wrong or junk word. */
function shapedText(names: GrammarContext): fc.Arbitrary<string> {
  const slot = (valid: fc.Arbitrary<string>) =>
    fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: word });
  const service = slot(fc.constantFrom(...names.services));
  const environment = slot(fc.constantFrom(...names.environments));
  const opt = (...parts: fc.Arbitrary<string>[]) =>
    fc.option(
      fc.tuple(...parts).map((p) => p.join(' ')),
      { nil: '' },
    );
  const kw = (k: string) => slot(fc.constant(k));
  const because = opt(kw('--'), reason);
  const duration = fc.constantFrom('30m', '2h', '1h30m', '2 hours', '90mins', '1d');
  const shapes = [
    fc.tuple(
      slot(fc.constantFrom('deploy', 'deploy!')),
      service,
      opt(slot(version)),
      opt(kw('to'), environment),
      because,
    ),
    fc.tuple(
      slot(fc.constantFrom('deploy', 'deploy!')),
      fc.tuple(service, slot(version)).map(([a, b]) => `${a}@${b}`),
      opt(kw('to'), environment),
      because,
    ),
    fc.tuple(
      kw('rollback'),
      service,
      opt(kw('in'), environment),
      opt(kw('to'), slot(version)),
      because,
    ),
    fc.tuple(
      slot(fc.constantFrom('lock', 'lock!')),
      environment,
      opt(service),
      opt(kw('for'), slot(duration)),
      opt(reason),
      because,
    ),
    fc.tuple(slot(fc.constantFrom('unlock', 'unlock!')), environment, opt(service)),
    fc.tuple(kw('status'), opt(service)),
    fc.tuple(
      kw('history'),
      service,
      opt(kw('in'), environment),
      opt(slot(fc.integer({ min: 1, max: 100 }).map(String))),
    ),
    fc.tuple(kw('help'), opt(slot(fc.constantFrom(...COMMAND_NAMES)))),
  ];
  return fc.oneof(
    ...shapes.map((shape) => shape.map((parts) => parts.filter((p) => p !== '').join(' '))),
  );
}

// Any code point, lone surrogates included, mixed with the characters the grammar reacts to.
// (fast-check's own 'binary' unit costs seconds to set up; this one costs nothing.)
const anyText = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
    fc.constantFrom(...' \n\t-—@!*`_<>&;.:'),
    fc.constantFrom(...'deploylkunstahirbcfw'),
  ),
  maxLength: 80,
});

const USAGES = new Set([OVERVIEW, ...Object.values(USAGE)]);

/** Everything a result must satisfy, whatever the input; an accepted command must round-trip. */
function expectWellFormed(result: ParseResult, names: GrammarContext): void {
  if (!result.ok) {
    expect(result.error).toMatch(/^[^\n]+\.$/);
    expect(USAGES.has(result.usage)).toBe(true);
    if (result.suggestion !== null) expect(result.suggestion).toMatch(/^Did you mean `[^\n]+`\?$/);
    return;
  }
  const cmd = result.command;
  const isService = (n: string | null) => n === null || names.services.includes(n);
  const isEnvironment = (n: string | null) => n === null || names.environments.includes(n);
  const isVersion = (v: string | null) => v === null || validateVersion(v) === null;
  const isReason = (r: string | null) =>
    r === null || (r.length <= 500 && /^\S(.*\S)?$/u.test(r) && !/\p{Cc}/u.test(r));
  switch (cmd.kind) {
    case 'deploy':
    case 'rollback':
      expect(
        isService(cmd.service) && isEnvironment(cmd.environment) && isVersion(cmd.version),
      ).toBe(true);
      expect(isReason(cmd.reason)).toBe(true);
      break;
    case 'lock':
      expect(isService(cmd.service) && isEnvironment(cmd.environment) && isReason(cmd.reason)).toBe(
        true,
      );
      expect(
        cmd.durationMs === null || (Number.isSafeInteger(cmd.durationMs) && cmd.durationMs > 0),
      ).toBe(true);
      break;
    case 'unlock':
      expect(isService(cmd.service) && isEnvironment(cmd.environment)).toBe(true);
      break;
    case 'status':
      expect(isService(cmd.service)).toBe(true);
      break;
    case 'history':
      expect(isService(cmd.service) && isEnvironment(cmd.environment)).toBe(true);
      expect(Number.isInteger(cmd.limit) && cmd.limit >= 1 && cmd.limit <= 100).toBe(true);
      break;
    case 'help':
      expect(cmd.topic === null || COMMAND_NAMES.includes(cmd.topic)).toBe(true);
      break;
  }
  const text = formatCommand(cmd);
  expect(parseCommand(text, names), text).toEqual({ ok: true, command: cmd });
  expect(parseSlashDeploy(text, names), text).toEqual({ ok: true, command: cmd });
}

function bothParsers(text: string, names: GrammarContext): void {
  expectWellFormed(parseCommand(text, names), names);
  expectWellFormed(parseSlashDeploy(text, names), names);
}

type Mutation =
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'swap-words' | 'duplicate-word' | 'drop-word'; a: number; b: number }
  | { op: 'flip-case' | 'transpose'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      word.map((w) => ` ${w} `),
      word,
    ),
  }),
  fc.record({
    op: fc.constantFrom('swap-words' as const, 'duplicate-word' as const, 'drop-word' as const),
    a: fc.nat(),
    b: fc.nat(),
  }),
  fc.record({ op: fc.constantFrom('flip-case' as const, 'transpose' as const), at: fc.nat() }),
);

function mutate(text: string, m: Mutation): string {
  const at = 'at' in m ? m.at % (text.length + 1) : 0;
  const words = text.split(' ');
  const a = 'a' in m ? m.a % words.length : 0;
  const b = 'b' in m ? m.b % words.length : 0;
  switch (m.op) {
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'flip-case': {
      const c = text.charAt(at);
      return (
        text.slice(0, at) +
        (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) +
        text.slice(at + 1)
      );
    }
    case 'transpose':
      return text.slice(0, at) + text.charAt(at + 1) + text.charAt(at) + text.slice(at + 2);
    case 'swap-words':
      [words[a], words[b]] = [words[b] ?? '', words[a] ?? ''];
      return words.join(' ');
    case 'duplicate-word':
      words.splice(a, 0, words[a] ?? '');
      return words.join(' ');
    case 'drop-word':
      words.splice(a, 1);
      return words.join(' ');
  }
}

describe('grammar properties', () => {
  it('never throws on arbitrary text, and every result is well formed', () => {
    fc.assert(
      fc.property(anyText, (text) => bothParsers(text, ctx)),
      { numRuns: RUNS },
    );
  });

  it('never throws on sequences of keywords, names and Slack junk', () => {
    fc.assert(
      fc.property(tokenText, (text) => bothParsers(text, ctx)),
      { numRuns: RUNS },
    );
  });

  it('stays well formed on grammar-shaped commands with wrong words in their slots', () => {
    fc.assert(
      fc.property(shapedText(ctx), (text) => bothParsers(text, ctx)),
      { numRuns: RUNS },
    );
  });

  it('formats every command to text that parses back to it', () => {
    fc.assert(
      fc.property(commandOf(ctx), (cmd) => {
        const text = formatCommand(cmd);
        expect(parseCommand(text, ctx)).toEqual({ ok: true, command: cmd });
        expect(parseSlashDeploy(text, ctx)).toEqual({ ok: true, command: cmd });
      }),
      { numRuns: RUNS },
    );
  });

  it('reads the same command through mentions, odd spacing, a shouting verb and /deploy', () => {
    const dressing = fc.record({
      mention: fc.boolean(),
      space: fc.constantFrom(...WHITESPACE),
      shout: fc.boolean(),
    });
    fc.assert(
      fc.property(commandOf(ctx), dressing, (cmd, { mention, space, shout }) => {
        const [verb = '', ...rest] = formatCommand(cmd).split(' ');
        const text = `${mention ? '<@U024BE7LH> ' : ''}${shout ? verb.toUpperCase() : verb}${space}${rest.join(space)}`;
        expect(parseCommand(text, ctx)).toEqual({ ok: true, command: cmd });
        if (cmd.kind === 'deploy' && !cmd.force) {
          // The slash command's own form: "/deploy web 1.4.2 to staging".
          expect(parseSlashDeploy(rest.join(space), ctx)).toEqual({ ok: true, command: cmd });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('stays well formed on mutations of valid commands', () => {
    fc.assert(
      fc.property(
        commandOf(ctx),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (cmd, mutations) => {
          bothParsers(mutations.reduce(mutate, formatCommand(cmd)), ctx);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('round-trips when services and environments are named like keywords, verbs or numbers', () => {
    const names = fc.record({
      services: fc.uniqueArray(fc.constantFrom(...NAME_POOL), { minLength: 1, maxLength: 6 }),
      environments: fc.uniqueArray(fc.constantFrom(...NAME_POOL), { minLength: 1, maxLength: 6 }),
    });
    fc.assert(
      fc.property(
        names.chain((n) => fc.tuple(fc.constant(n), commandOf(n))),
        ([n, cmd]) => {
          const text = formatCommand(cmd);
          expect(parseCommand(text, n), text).toEqual({ ok: true, command: cmd });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('answers quickly on input built to make regular expressions backtrack', () => {
    const nasty = [
      `deploy web ${'*'.repeat(3900)}a`,
      `deploy ${'.'.repeat(3900)}a`,
      `lock production ${'for '.repeat(900)}`,
      `lock production ${'for 1h '.repeat(500)}x`,
      `<@U1>${'<@U1'.repeat(900)}`,
      `deploy ${'_'.repeat(3900)}a`,
      `history web ${'9'.repeat(3900)}`,
    ];
    const started = performance.now();
    for (const text of nasty) expectWellFormed(parseCommand(text, ctx), ctx);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
