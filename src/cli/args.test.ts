import { describe, expect, it } from 'vitest';
import { helpText, readArgs, toGrammar, UsageError, usageText } from './args.js';
import { COMMAND_SPECS, DEPLOY, DEV, HISTORY, LOCK, ROLLBACK, SERVE } from './specs.js';

const SPECS = { deploy: DEPLOY, rollback: ROLLBACK, lock: LOCK, history: HISTORY };

function grammar(verb: keyof typeof SPECS, args: string[]) {
  return toGrammar(verb, readArgs(SPECS[verb], args));
}

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('no UsageError');
}

describe('operator arguments', () => {
  it.each([
    [['web', '1.2.3', '--to', 'staging'], 'deploy', 'deploy web 1.2.3 to staging'],
    [
      ['web', '1.2.3', '--to=staging', '--force', '--reason', 'hotfix INC-1'],
      'deploy',
      'deploy! web 1.2.3 to staging -- hotfix INC-1',
    ],
    [['web@1.2.3', 'to', 'staging'], 'deploy', 'deploy web@1.2.3 to staging'],
    [['web', '--version', '1.2.3', '--to', 'staging'], 'deploy', 'deploy web 1.2.3 to staging'],
    [
      ['web', '--in', 'production', '--version', '1.2.2'],
      'rollback',
      'rollback web in production to 1.2.2',
    ],
    // rollback has no "!" form: --force only confirms, in the CLI.
    [
      ['web', '--in', 'staging', '--version', '9.9.9', '--force'],
      'rollback',
      'rollback web in staging to 9.9.9',
    ],
    [
      ['production', '--for', '2h', '--reason', 'db migration'],
      'lock',
      'lock production for 2h -- db migration',
    ],
    [['web', '--in', 'staging', '20'], 'history', 'history web in staging 20'],
    [
      ['web', '--in', 'staging', '--reason', '2h window'],
      'rollback',
      'rollback web in staging -- 2h window',
    ],
    [['web', '1.2.3', '--', 'hotfix'], 'deploy', 'deploy web 1.2.3 -- hotfix'],
  ] as const)('%j as %s → %s', (args, verb, expected) => {
    expect(grammar(verb, [...args]).text).toBe(expected);
  });

  it('reads --json, --no-wait, --force and --config without passing them to the grammar', () => {
    const parsed = grammar('rollback', ['web', '--json', '--no-wait', '-f', '--config', 'x.yaml']);
    expect(parsed).toEqual({
      text: 'rollback web',
      json: true,
      wait: false,
      force: true,
      configPath: 'x.yaml',
    });
  });
});

describe('reading arguments', () => {
  it('suggests the nearest option for a typo, and the one meant for a known mix-up', () => {
    expect(usageError(() => readArgs(DEV, ['--prot', '4110'])).message).toBe(
      'Unknown option --prot. Did you mean --port?',
    );
    expect(usageError(() => readArgs(DEPLOY, ['web', '1', '--env', 'staging'])).message).toBe(
      'Unknown option --env. Did you mean --to?',
    );
    expect(usageError(() => readArgs(SERVE, ['--zzzzzz'])).message).toBe(
      'Unknown option --zzzzzz.',
    );
  });

  it('refuses a missing value, a value for a flag and extra arguments', () => {
    expect(usageError(() => readArgs(SERVE, ['--port'])).message).toBe(
      '--port needs a value: --port, -p <port>.',
    );
    expect(usageError(() => readArgs(DEPLOY, ['web', '--json=yes'])).message).toMatch(
      /^--json takes no value/,
    );
    expect(usageError(() => readArgs(SERVE, ['now'])).message).toBe(
      'slipway serve takes no arguments; unexpected "now".',
    );
  });

  it('answers --help before anything else is checked', () => {
    expect(readArgs(SERVE, ['--bogus', '-h']).help).toBe(true);
  });

  it('gives every command a summary, usage, an example and --help', () => {
    for (const spec of COMMAND_SPECS) {
      const help = helpText(spec);
      expect(help).toMatch(new RegExp(`^Usage: slipway ${spec.name}`));
      expect(help).toContain(spec.summary);
      expect(help).toMatch(/\nExamples?\n {2}slipway /);
      expect(help).toContain('--help, -h');
      expect(usageText(spec)).toContain(`slipway ${spec.name} --help`);
    }
  });
});
