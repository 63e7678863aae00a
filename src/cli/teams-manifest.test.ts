import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { slipway } from './test-support/run-cli.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';

describe('slipway teams manifest, through the real executable', () => {
  it('writes the app package and says where the bot’s endpoint goes', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'teams-cli-')), 'app.zip');
    const run = await slipway(
      ['teams', 'manifest', '--url', 'https://slipway.example.com', '--out', out],
      {
        TEAMS_APP_ID: APP_ID,
      },
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`Wrote ${out}.`);
    expect(run.stdout).toContain('https://slipway.example.com/api/messages');
    const manifest = JSON.parse(
      execFileSync('unzip', ['-p', out, 'manifest.json'], { encoding: 'utf8' }),
    );
    expect(manifest).toMatchObject({ id: APP_ID, validDomains: ['slipway.example.com'] });
  }, 60_000);

  it('refuses an http URL and a missing or malformed app id, writing nothing, exit 2', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'teams-cli-')), 'app.zip');
    const runs = await Promise.all([
      slipway([
        'teams',
        'manifest',
        '--url',
        'http://slipway.example.com',
        '--app-id',
        APP_ID,
        '--out',
        out,
      ]),
      slipway(['teams', 'manifest', '--url', 'https://slipway.example.com', '--out', out], {
        TEAMS_APP_ID: '',
      }),
      slipway([
        'teams',
        'manifest',
        '--url',
        'https://slipway.example.com',
        '--app-id',
        'slipway-bot',
        '--out',
        out,
      ]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2]);
    expect(runs[0]?.stderr).toMatch(/^Teams only talks to bots over https/);
    expect(runs[1]?.stderr).toMatch(/^Give --app-id \(or set TEAMS_APP_ID\)/);
    expect(runs[2]?.stderr).toMatch(/is not a GUID/);
    for (const run of runs) expect(run.stderr).toContain('Usage: slipway teams manifest');
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
