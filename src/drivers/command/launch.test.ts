import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { environmentFile, supervisorCommand } from './launch.js';
import { SUPERVISOR_SCRIPT } from './supervisor-script.js';

describe('supervisor command', () => {
  it('runs the supervisor script with the system shell, the spec as arguments', () => {
    const command = supervisorCommand('relative/runs/d1-deploy', {
      timeoutMs: 600_000,
      killGraceMs: 10_000,
      outputLimitBytes: 65_536,
      cwd: '/srv/ops',
      argv: ['./deploy.sh', '$(touch x)', ''],
    });
    expect(command.file).toBe('/bin/sh');
    expect(command.args).toEqual([
      '-c',
      SUPERVISOR_SCRIPT,
      'slipway-supervisor',
      `${process.cwd()}/relative/runs/d1-deploy`,
      '600000',
      '10000',
      '65536',
      '/srv/ops',
      './deploy.sh',
      '$(touch x)',
      '',
    ]);
  });

  it('is a script the system shell accepts', () => {
    const check = spawnSync('/bin/sh', ['-n', '-c', SUPERVISOR_SCRIPT], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('environment file', () => {
  it('gives the shell back every value exactly, whatever it holds', () => {
    const env = {
      PLAIN: 'x',
      QUOTES: `it's "quoted" \\ $HOME $(id) \`id\``,
      LINES: 'one\ntwo\n',
      EMPTY: '',
    };
    const dump = spawnSync(
      '/bin/sh',
      ['-c', `${environmentFile(env)}\nprintf '%s\\0' "$PLAIN" "$QUOTES" "$LINES" "$EMPTY"`],
      { encoding: 'utf8', env: {} },
    );
    expect(dump.stdout.split('\0').slice(0, 4)).toEqual(Object.values(env));
  });

  it('refuses a name a shell could not export', () => {
    expect(() => environmentFile({ 'A-B': 'x' })).toThrow('"A-B" cannot be passed on');
  });
});
