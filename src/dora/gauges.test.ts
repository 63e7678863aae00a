import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  removeTestDir,
  scenarioConfig,
  settingsFor,
  tempDir,
} from '../../test/support/engine-harness.js';
import { parseSamples, type Sample, sampleValue } from '../../test/support/prometheus.js';
import { type App, createApp } from '../app.js';
import { createLogger } from '../core/logger.js';
import { newDeployment } from '../store/test-support/fixtures.js';
import { computeDora } from './compute.js';
import { registerDoraGauges } from './gauges.js';
import type { DoraDeployment, DoraReport } from './types.js';

const HOUR = 3_600_000;

/**
 * web in production over 30 days: two deploys went live, with lead times of 2h and 4h (median
 * 3h, p90 2h + 0.9 × 2h = 3h48m); the second had an alert an hour after it went live, resolved
 * 30 minutes later. api had nothing.
 */
function report(until: Date): DoraReport {
  const at = (hoursBefore: number) => new Date(until.getTime() - hoursBefore * HOUR);
  const live = (id: string, hoursBefore: number, leadHours: number): DoraDeployment => ({
    id,
    service: 'web',
    environment: 'production',
    version: id,
    kind: 'deploy',
    state: 'succeeded',
    requestedAt: at(hoursBefore + 1),
    startedAt: at(hoursBefore + 1),
    finishedAt: at(hoursBefore),
    failedAt: null,
    committedAt: at(hoursBefore + leadHours),
    reportedAt: null,
    liveBefore: false,
  });
  return computeDora({
    window: { since: at(30 * 24), until },
    targets: [
      { service: 'web', environment: 'production' },
      { service: 'api', environment: 'production' },
    ],
    deployments: [live('a', 48, 2), live('b', 24, 4)],
    alerts: [{ deploymentId: 'b', firedAt: at(23), resolvedAt: at(22.5) }],
  });
}

function setup(load: () => Promise<DoraReport>) {
  const registry = new Registry();
  const clock = { now: new Date('2025-06-02T10:00:00Z') };
  const warnings: string[] = [];
  const log = createLogger(
    { level: 'warn' },
    new Writable({
      write(chunk, _enc, done) {
        warnings.push(String(chunk));
        done();
      },
    }),
  );
  let loads = 0;
  registerDoraGauges(
    [registry],
    {
      now: () => clock.now,
      load: () => {
        loads++;
        return load();
      },
    },
    log,
  );
  return {
    clock,
    warnings,
    loads: () => loads,
    scrape: async () => parseSamples(await registry.metrics()),
  };
}

const web = { service: 'web', environment: 'production' };
const dora = (samples: Sample[]) => samples.filter((s) => s.name.startsWith('slipway_dora_'));

describe('DORA gauges', () => {
  it('exports each figure per service and environment, leaving out the ones without data', async () => {
    const until = new Date('2025-06-02T10:00:00Z');
    const { scrape } = setup(async () => report(until));
    const samples = await scrape();
    expect(sampleValue(samples, 'slipway_dora_deployments', web)).toBe(2);
    expect(sampleValue(samples, 'slipway_dora_deployments_per_week', web)).toBeCloseTo(
      (2 * 7) / 30,
      10,
    );
    expect(
      sampleValue(samples, 'slipway_dora_lead_time_seconds', { ...web, quantile: '0.5' }),
    ).toBe(3 * 3600);
    expect(
      sampleValue(samples, 'slipway_dora_lead_time_seconds', { ...web, quantile: '0.9' }),
    ).toBe(3.8 * 3600);
    expect(sampleValue(samples, 'slipway_dora_changes', web)).toBe(2);
    expect(sampleValue(samples, 'slipway_dora_failed_changes', web)).toBe(1);
    expect(sampleValue(samples, 'slipway_dora_change_failure_ratio', web)).toBe(0.5);
    expect(
      sampleValue(samples, 'slipway_dora_time_to_restore_seconds', { ...web, quantile: '0.5' }),
    ).toBe(1800);
    // api: counts are 0, but there is no lead time, failure rate or restore to show.
    const api = dora(samples).filter((s) => s.labels.service === 'api');
    expect(api.map((s) => [s.name, s.value]).sort()).toEqual([
      ['slipway_dora_changes', 0],
      ['slipway_dora_deployments', 0],
      ['slipway_dora_deployments_per_week', 0],
      ['slipway_dora_failed_changes', 0],
    ]);
  });

  it('computes the report at most once a minute, however often it is scraped', async () => {
    const until = new Date('2025-06-02T10:00:00Z');
    const { clock, loads, scrape } = setup(async () => report(until));
    await scrape();
    expect(loads()).toBe(1);
    clock.now = new Date(clock.now.getTime() + 59_000);
    await Promise.all([scrape(), scrape()]);
    expect(loads()).toBe(1);
    clock.now = new Date(clock.now.getTime() + 2_000);
    await scrape();
    expect(loads()).toBe(2);
  });

  it('leaves the gauges empty while the store fails, and tries again at the next scrape', async () => {
    let fail = true;
    const until = new Date('2025-06-02T10:00:00Z');
    const { loads, scrape, warnings } = setup(async () => {
      if (fail) throw new Error('database is down');
      return report(until);
    });
    expect(dora(await scrape())).toEqual([]);
    expect(warnings.join('')).toContain('could not compute the DORA metrics');
    fail = false;
    expect(sampleValue(await scrape(), 'slipway_dora_deployments', web)).toBe(2);
    // One computation per scrape while failing, not one per gauge.
    expect(loads()).toBe(2);
  });
});

describe('DORA gauges in the app', () => {
  let app: App | null = null;
  let dir = '';
  afterEach(async () => {
    await app?.stop();
    app = null;
    await removeTestDir(dir);
  });

  it('serves the last 30 days of the database at /metrics', async () => {
    dir = tempDir('slipway-dora-gauges-');
    app = await createApp({
      config: scenarioConfig(dir),
      settings: settingsFor(dir),
      log: createLogger({ level: 'silent' }),
    });
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    const { store } = app;
    const { deployment } = await store.createDeployment(
      newDeployment({ environment: 'production', committedAt: minutesAgo(120) }),
      'queued',
      { actor: 'U-DEV1', at: minutesAgo(60) },
    );
    const by = (m: number) => ({ actor: 'U-DEV1', at: minutesAgo(m) });
    await store.transition(deployment.id, ['queued'], 'running', by(50), {
      startedAt: minutesAgo(50),
    });
    await store.transition(deployment.id, ['running'], 'succeeded', by(30));
    const samples = parseSamples(await app.metrics.scrape());
    expect(sampleValue(samples, 'slipway_dora_deployments', web)).toBe(1);
    // Committed two hours ago, live 30 minutes ago.
    const lead = sampleValue(samples, 'slipway_dora_lead_time_seconds', {
      ...web,
      quantile: '0.5',
    });
    expect(lead).toBeCloseTo(90 * 60, 0);
    expect(
      sampleValue(samples, 'slipway_dora_deployments', {
        service: 'api',
        environment: 'production',
      }),
    ).toBe(0);
  });
});
