import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTestDir, scenarioConfigInput, tempDir } from '../../test/support/engine-harness.js';
import { seed, t } from '../dora/test-support/story.js';
import { createStore } from '../store/index.js';
import { readArgs, UsageError } from './args.js';
import { runDoraReport } from './report.js';
import { REPORT_DORA } from './specs.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeTestDir));
});

/** slipway.yaml (web and api, production protected) and its SQLite file holding the story. */
async function seeded() {
  const dir = tempDir();
  dirs.push(dir);
  const configPath = join(dir, 'slipway.yaml');
  writeFileSync(configPath, JSON.stringify(scenarioConfigInput(join(dir, 'targets'))));
  const store = createStore(`sqlite://${join(dir, 'slipway.db')}`);
  try {
    await store.migrate();
    await seed(store);
  } finally {
    await store.close();
  }
  return { SLIPWAY_CONFIG: configPath, SLIPWAY_DATA_DIR: dir, SLIPWAY_LOG_LEVEL: 'silent' };
}

/** The story's window ends at midnight on 24 March; 19 days back is 5 March. */
const NOW = t('03-24 00:00');

async function report(env: NodeJS.ProcessEnv, args: string[]) {
  let out = '';
  const code = await runDoraReport(
    readArgs(REPORT_DORA, args),
    env,
    (text) => {
      out += text;
    },
    NOW,
  );
  return { code, out };
}

describe('slipway report dora', () => {
  it('prints a row per service in production, with the numbers computed from the database', async () => {
    const env = await seeded();
    const { code, out } = await report(env, ['--since', '19d']);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'DORA metrics from 2025-03-05 00:00 UTC to 2025-03-24 00:00 UTC (19 days)',
    );
    expect(lines[2]).toMatch(
      /^SERVICE +ENVIRONMENT +DEPLOYS\/WEEK +LEAD TIME MEDIAN \/ P90 +CHANGE FAILURE RATE +TIME TO RESTORE$/,
    );
    // web: 3 deploys in 19 days = 1.1 a week; lead 3h and 4h (median 3h30m, p90 3h54m);
    // 2 of 4 changes failed; restored in 25m and 1h (median 42m30s).
    expect(lines[3]?.split(/ {2,}/)).toEqual([
      'web',
      'production',
      '1.1 (3 in all)',
      '3h30m / 3h54m (2)',
      '50% (2 of 4)',
      '42m30s (2)',
    ]);
    expect(lines[4]?.split(/ {2,}/)).toEqual([
      'api',
      'production',
      '0 (0 in all)',
      '-',
      '100% (1 of 1)',
      '1 not restored',
    ]);
    expect(out).toContain(
      'Lead time: 1 from the commit time CI sent, 1 from when the build was reported (no commit time).',
    );
  });

  it('gives the same numbers as JSON, with every week and failure', async () => {
    const env = await seeded();
    const { code, out } = await report(env, [
      '--since',
      '2025-03-05',
      '--service',
      'web',
      '--json',
    ]);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.since).toBe('2025-03-05T00:00:00.000Z');
    expect(json.targets).toHaveLength(1);
    const [web] = json.targets;
    expect(web).toMatchObject({
      service: 'web',
      environment: 'production',
      total: {
        deployments: 3,
        changes: 4,
        failedChanges: 2,
        changeFailureRate: 0.5,
        leadTime: { medianSeconds: 12600, p90Seconds: 14040 },
        timeToRestore: { medianSeconds: 2550 },
      },
    });
    expect(web.weeks.map((w: { week: string }) => w.week)).toEqual([
      '2025-W10',
      '2025-W11',
      '2025-W12',
    ]);
    expect(web.failures.map((f: { causes: string[] }) => f.causes)).toEqual([
      ['failed', 'alert'],
      ['rollback', 'alert'],
    ]);
  });

  it('adds a table by ISO week with --weeks, the quiet week included', async () => {
    const env = await seeded();
    const { out } = await report(env, ['--since', '19d', '--service', 'web', '--weeks']);
    expect(out).toContain('web in production, by ISO week (UTC)');
    const week = (name: string) =>
      out
        .split('\n')
        .find((line) => line.startsWith(name))
        ?.split(/ {2,}/);
    expect(week('2025-W10')).toEqual([
      '2025-W10',
      '5',
      '2',
      '3h30m / 3h54m (2)',
      '67% (2 of 3)',
      '42m30s (2)',
    ]);
    expect(week('2025-W11')).toEqual(['2025-W11', '7', '0', '-', '-', '-']);
  });

  it('measures a named environment instead of production', async () => {
    const env = await seeded();
    const { out } = await report(env, ['--since', '19d', '--environment', 'staging', '--json']);
    const json = JSON.parse(out);
    expect(json.targets.map((r: { service: string }) => r.service)).toEqual(['web', 'api']);
    // The two builds that went live on staging for web, none for api.
    expect(json.targets[0].total.deployments).toBe(2);
    expect(json.targets[1].total.deployments).toBe(0);
  });

  it('refuses unknown names and unreadable windows before opening the database', async () => {
    const env = await seeded();
    const usage = (args: string[]) =>
      report(env, args).then(
        () => null,
        (err: unknown) => err,
      );
    const wrongService = await usage(['--service', 'wbe']);
    expect(wrongService).toBeInstanceOf(UsageError);
    expect((wrongService as Error).message).toBe('Unknown service "wbe". Did you mean web?');
    expect(((await usage(['--environment', 'prodution'])) as Error).message).toBe(
      'Unknown environment "prodution". Did you mean production?',
    );
    expect(((await usage(['--since', 'last month'])) as Error).message).toBe(
      '--since "last month" is neither a duration (30d, 12w) nor a date (2025-01-06).',
    );
    expect(((await usage(['--since', '2025-04-01'])) as Error).message).toMatch(/not in the past/);
  });
});
