import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestDir, scenarioConfigInput, tempDir } from '../../test/support/engine-harness.js';
import { newPart } from './logs.js';
import { noServerHint } from './server-presence.js';
import { slipway } from './test-support/run-cli.js';

const dir = tempDir();
afterAll(() => removeTestDir(dir));

describe('slipway logs, --force confirmations and the --no-wait hint', () => {
  it('prints a run’s output, refuses the unmeant, and says when nothing will run the queue', async () => {
    const configPath = join(dir, 'slipway.yaml');
    writeFileSync(configPath, JSON.stringify(scenarioConfigInput(join(dir, 'targets'))));
    const env = { SLIPWAY_CONFIG: configPath, SLIPWAY_DATA_DIR: dir, SLIPWAY_LOG_LEVEL: 'silent' };
    const run = (...args: string[]) => slipway(args, env);

    const first = await run('deploy', 'web', '1.0.0', '--to', 'staging', '--json');
    expect(first.code).toBe(0);
    const { id } = JSON.parse(first.stdout) as { id: string };

    const logs = await run('logs', id);
    expect(logs).toMatchObject({ code: 0, stderr: '' });
    expect(logs.stdout).toMatch(new RegExp(`^── ${id} deploy \\(.*output\\.log\\) ──\\n`));
    expect(logs.stdout).toContain('ready 3 of 3\n');
    const none = await run('logs', id, '--phase', 'rollback');
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toMatch(new RegExp(`^${id} has no rollback output stored`));
    expect((await run('logs', 'd-nope')).stderr).toMatch(/^There is no deployment d-nope/);

    const again = await run('deploy', 'web', '1.0.0', '--to', 'staging');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(
        `^web 1\\.0\\.0 is already live in staging \\(${id}, finished .*\\)\\. Add --force to deploy 1\\.0\\.0 again`,
      ),
    );
    const never = await run('rollback', 'web', '--in', 'staging', '--version', '9.9.9');
    expect(never.code).toBe(1);
    expect(never.stderr).toMatch(
      /^web 9\.9\.9 was never live in staging \(1\.0\.0 is live there now\), so this is not a rollback but a deploy of 9\.9\.9\. Add --force/,
    );

    const queued = await run('deploy', 'web', '2.0.0', '--to', 'staging', '--no-wait');
    expect(queued.code).toBe(0);
    expect(queued.stdout).toMatch(/^Deployment d-\S+ requested: web 2\.0\.0 → staging \(queued\)/);
    expect(queued.stderr).toBe(`${noServerHint(true)}\n`);
    expect(noServerHint(true)).toBe(
      'No Slipway server is running to pick this up: start one with `npx slipway serve`, or run without --no-wait.',
    );

    // A server holds the SQLite file (store/sqlite/server-lock.ts): no hint, and --force confirms.
    writeFileSync(
      join(dir, 'slipway.db.server'),
      JSON.stringify({ pid: process.pid, host: hostname(), processId: 'p-test', since: '' }),
    );
    const forced = await run('deploy', 'web', '1.0.0', '--to', 'staging', '--force', '--no-wait');
    expect(forced).toMatchObject({ code: 0, stderr: '' });
    expect(forced.stdout).toMatch(/requested: web 1\.0\.0 → staging/);
    const asDeploy = await run(
      'rollback',
      'web',
      '--in',
      'staging',
      '--version',
      '9.9.9',
      '-f',
      '--no-wait',
    );
    expect(asDeploy).toMatchObject({ code: 0, stderr: '' });
    expect(asDeploy.stdout).toContain(
      'note: 9.9.9 was never live in staging, so this is a deploy of it.',
    );
  }, 300_000);

  it('follows output that lost its start to the size limit', () => {
    expect(newPart('', 'a\nb\n')).toBe('a\nb\n');
    expect(newPart('a\nb\n', 'a\nb\nc\n')).toBe('c\n');
    expect(newPart('a\nb\n', 'b\nc\n')).toBe('c\n');
    expect(newPart('x', 'unrelated\n')).toBe('unrelated\n');
  });
});
