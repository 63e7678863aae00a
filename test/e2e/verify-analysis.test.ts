import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/logger.js';
import { finalState, reasons, requestDeploy, seedLive } from '../support/canary-engine.js';
import {
  commandBinding,
  FIXTURES,
  readRuns,
  removeTestDir,
  settingsFor,
  tempDir,
} from '../support/engine-harness.js';
import { type MetricsApp, startMetricsApp } from '../support/metrics-app.js';
import { type PrometheusProcess, startPrometheus } from '../support/prometheus.js';

/**
 * Verification by metrics after a rollout by the real `command` driver: once the deploy
 * command has finished and its status command reports the new version healthy, a real
 * Prometheus (Debian's) is asked about that version for two intervals. Each version's
 * instances are a metrics app labelled with the service and the version, as a scrape config
 * relabelling pod labels would; 1.1.0 serves 1% errors, 1.2.0 serves 12%.
 */

const ANALYSIS = {
  interval: '2s',
  minSamples:
    'sum(increase(http_requests_total{service="{service}",version="{version}"}[{interval}])) >= 20',
  metrics: [
    {
      name: 'success-rate',
      query:
        'sum(rate(http_requests_total{service="{service}",version="{version}",code!~"5.."}[{interval}])) / sum(rate(http_requests_total{service="{service}",version="{version}"}[{interval}]))',
      thresholdRange: { min: 0.95 },
    },
  ],
};

let prometheus: PrometheusProcess;
const versions: MetricsApp[] = [];
let app: App | null = null;
let dir: string;

beforeAll(async () => {
  const healthy = await startMetricsApp({ rps: 100, errorRatio: 0.01 });
  const failing = await startMetricsApp({ rps: 100, errorRatio: 0.12 });
  versions.push(healthy, failing);
  prometheus = await startPrometheus([
    { target: healthy.target, labels: { service: 'web', version: '1.1.0' } },
    { target: failing.target, labels: { service: 'web', version: '1.2.0' } },
  ]);
  await prometheus.waitForHistory(3);
}, 60_000);

afterAll(async () => {
  await prometheus?.remove();
  await Promise.all(versions.map((v) => v.stop()));
});

afterEach(async () => {
  await app?.stop();
  app = null;
  await removeTestDir(dir);
});

/** web in production, deployed by the command driver, verified by its metrics for 2 intervals. */
function config(stateDir: string) {
  const binding = commandBinding(stateDir, 300);
  const rollback = [
    process.execPath,
    join(FIXTURES, 'fake-deploy.mjs'),
    stateDir,
    '{service}',
    '{environment}',
    '{version}',
    '300',
  ];
  return Config.parse({
    operator: 'operator',
    environments: [{ name: 'production', order: 0, verifyWindow: '10s' }],
    services: [
      {
        name: 'web',
        owners: ['U-DEV1'],
        environments: {
          production: {
            driver: 'command',
            options: { ...binding.options, rollback },
            verify: {
              analysis: { prometheus: { url: prometheus.url }, ...ANALYSIS },
              intervals: 2,
            },
          },
        },
      },
    ],
    engine: { lease: '5s', pollInterval: '100ms' },
  });
}

/** A Slipway whose target runs 1.0.0, deployed before the test. */
async function start(): Promise<{ app: App; stateDir: string }> {
  dir = tempDir('slipway-verify-');
  const stateDir = join(dir, 'targets');
  const opened = await createApp({
    config: config(stateDir),
    settings: settingsFor(dir),
    log: createLogger({ level: 'silent' }),
  });
  app = opened;
  await seedLive(opened, '1.0.0');
  opened.engine.start();
  return { app: opened, stateDir };
}

const liveVersion = (stateDir: string) =>
  readFileSync(join(stateDir, 'web-production.version'), 'utf8').trim();

describe('verification by metrics after a command-driver rollout', () => {
  it('keeps a release whose metrics pass their checks for two intervals', async () => {
    const { app, stateDir } = await start();
    const d = await requestDeploy(app, '1.1.0');
    const done = await finalState(app, d.id);
    const history = await reasons(app, d.id);
    expect(done.state, history.join('\n')).toBe('succeeded');
    const checks = history.filter((r) => r.startsWith('verification '));
    expect(checks).toHaveLength(2);
    expect(checks[0]).toMatch(/^verification check pass: success-rate 0\.99 \(>= 0\.95\)/);
    expect(checks[1]).toMatch(/^verification passed: 2 passing checks: success-rate 0\.99/);
    expect(done.outcome).toContain('its metrics passed: 2 passing checks');
    expect(liveVersion(stateDir)).toBe('1.1.0');
    expect(readRuns(stateDir).filter((l) => l.startsWith('start'))).toHaveLength(1);
  }, 60_000);

  it('rolls a release whose metrics fail back to the version before it, naming the value', async () => {
    const { app, stateDir } = await start();
    const d = await requestDeploy(app, '1.2.0');
    const done = await finalState(app, d.id);
    const history = await reasons(app, d.id);
    expect(done.state, history.join('\n')).toBe('rolled_back');
    expect(done.outcome).toMatch(
      /^rolled back to 1\.0\.0 after: metrics after the rollout: success-rate 0\.88 < 0\.95/,
    );
    expect(history.filter((r) => r.startsWith('verification '))).toEqual([
      expect.stringMatching(/^verification fail: success-rate 0\.88 < 0\.95/),
    ]);
    // The rollout went out, then the driver's rollback command put 1.0.0 back.
    const starts = readRuns(stateDir)
      .filter((l) => l.startsWith(`start ${d.id}`))
      .map((l) => l.split(' ').slice(2, 6).join(' '));
    expect(starts).toEqual(['deploy web production 1.2.0', 'rollback web production 1.0.0']);
    expect(liveVersion(stateDir)).toBe('1.0.0');
  }, 60_000);
});
