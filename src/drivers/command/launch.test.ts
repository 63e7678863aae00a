import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bootClock, environmentFile, supervisorCommand } from './launch.js';
import { CIVIL_TIME, SUPERVISOR_SCRIPT } from './supervisor-script.js';

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
      expect.stringMatching(/^\d+$/),
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

describe('the supervisor clock', () => {
  it('is the wall time at boot: uptime added to it gives now', () => {
    const uptimeMs = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
    expect(Math.abs(Number(bootClock()) + uptimeMs - Date.now())).toBeLessThan(50);
  });

  it('writes epoch milliseconds as ISO 8601 in the shell, as JavaScript does', () => {
    const times = [
      0,
      951_782_400_000, // 2000-02-29
      1_709_251_199_999, // 2024-02-29T23:59:59.999
      1_735_689_599_999, // 2024-12-31T23:59:59.999
      4_107_542_400_007, // 2100-03-01: not a leap year
      253_402_300_799_999, // 9999-12-31T23:59:59.999
      Date.now(),
    ];
    const script = `${CIVIL_TIME}\nfor ms; do sv_civil "$ms"; printf '%s\\n' "$sv_t"; done`;
    const run = spawnSync('/bin/sh', ['-c', script, 'sh', ...times.map(String)], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n').slice(0, -1)).toEqual(
      times.map((ms) => new Date(ms).toISOString()),
    );
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
