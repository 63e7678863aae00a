import { describe, expect, it } from 'vitest';
import { toGrammar } from './args.js';

describe('operator arguments', () => {
  it.each([
    [['web', '1.2.3', '--to', 'staging'], 'deploy', 'deploy web 1.2.3 to staging'],
    [
      ['web', '1.2.3', '--to=staging', '--force', '--reason', 'hotfix INC-1'],
      'deploy',
      'deploy! web 1.2.3 to staging -- hotfix INC-1',
    ],
    [['web@1.2.3', 'to', 'staging'], 'deploy', 'deploy web@1.2.3 to staging'],
    [
      ['web', '--in', 'production', '--version', '1.2.2'],
      'rollback',
      'rollback web in production to 1.2.2',
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
  ])('%j as %s → %s', (args, verb, expected) => {
    expect(toGrammar(verb, args).text).toBe(expected);
  });

  it('reads --json, --no-wait and --config without passing them to the grammar', () => {
    const parsed = toGrammar('deploy', ['web', '1', '--json', '--no-wait', '--config', 'x.yaml']);
    expect(parsed).toEqual({ text: 'deploy web 1', json: true, wait: false, configPath: 'x.yaml' });
  });
});
