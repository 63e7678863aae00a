import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import type { CanaryDriver } from './canary-driver.js';
import { settingsFor } from './engine-harness.js';
import { type MetricsApp, startMetricsApp } from './metrics-app.js';
import { type PrometheusProcess, startPrometheus } from './prometheus.js';

/**
 * The engine walking a canary of `web` in production with the in-memory canary driver, judged
 * by a real Prometheus that scrapes a metrics app per track (app="web-canary", app="web"). For
 * the canary tests and the canary-abort benchmark.
 */

/** A success-rate analysis every 3 s, waiting for 20 requests before it judges. */
export const CANARY_ANALYSIS = {
  interval: '3s',
  minSamples: 'sum(increase(http_requests_total{app="{canary}"}[{interval}])) >= 20',
  inconclusiveLimit: 1,
  consecutiveErrorLimit: 1,
  metrics: [
    {
      name: 'success-rate',
      query:
        'sum(rate(http_requests_total{app="{canary}",code!~"5.."}[{interval}])) / sum(rate(http_requests_total{app="{canary}"}[{interval}]))',
      thresholdRange: { min: 0.95 },
    },
  ],
};

export function canaryConfig(prometheusUrl: string, analysis: object = CANARY_ANALYSIS) {
  return Config.parse({
    operator: 'operator',
    admins: ['@sre'],
    groups: { sre: ['U-SRE', 'operator'] },
    environments: [{ name: 'production', order: 0, verifyWindow: '5s' }],
    services: [
      {
        name: 'web',
        owners: ['U-DEV1'],
        channel: 'C-WEB',
        driver: { driver: 'canary-test', options: {} },
        environments: {
          production: {
            strategy: {
              canary: {
                steps: [5, 25, 50, 100],
                analysis: { prometheus: { url: prometheusUrl }, ...analysis },
              },
            },
          },
        },
      },
    ],
    engine: { lease: '2s', pollInterval: '100ms' },
  });
}

/** The canary's traffic follows its weight, with `errorRatio` of it failing. */
export function trafficFollowsWeight(canaryApp: MetricsApp, errorRatio: number, total = 400) {
  return (weight: number) => canaryApp.set({ rps: (total * weight) / 100, errorRatio });
}

/**
 * A Slipway on the SQLite file in `dir` with the canary driver; its engine is not started.
 * Two opened on the same `dir` share one database, as replicas do.
 */
export function openCanaryApp(dir: string, driver: CanaryDriver, config: Config): Promise<App> {
  return createApp({
    config,
    settings: settingsFor(dir),
    log: createLogger({ level: 'silent' }),
    drivers: new Map([[driver.id, driver]]),
  });
}

/** `version` went live before the test: the version a canary is judged beside. */
export async function seedLive(app: App, version: string): Promise<void> {
  const d = await requestDeploy(app, version);
  await app.store.transition(
    d.id,
    ['queued'],
    'succeeded',
    { actor: 'test', reason: 'live before the test' },
    { finishedAt: new Date(), outcome: 'seeded' },
  );
}

export async function requestDeploy(app: App, version: string): Promise<Deployment> {
  const r = await app.engine.request({
    actor: 'U-DEV1',
    source: 'cli',
    channel: null,
    kind: 'deploy',
    service: 'web',
    environment: 'production',
    version,
  });
  if (!r.ok) throw new Error(r.reason);
  return r.deployment;
}

export async function finalState(app: App, id: string, timeoutMs = 60_000): Promise<Deployment> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (;;) {
    const d = await app.engine.waitFor(id, signal, 100);
    if (['succeeded', 'failed', 'rolled_back', 'cancelled'].includes(d.state)) return d;
    if (signal.aborted) throw new Error(`${id} still ${d.state} after ${timeoutMs} ms`);
  }
}

/** Polls `read` every 100 ms until it returns something, for at most `timeoutMs`. */
export async function until<T>(read: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await read();
    if (found) return found;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The reasons of a deployment's transitions, oldest first. */
export async function reasons(app: App, id: string): Promise<string[]> {
  return (await app.store.listTransitions(id)).map((t) => t.reason ?? '');
}

/** The two tracks' metrics apps and the Prometheus scraping them, with 3 s of history. */
export interface CanaryTracks {
  prometheus: PrometheusProcess;
  canaryApp: MetricsApp;
  primaryApp: MetricsApp;
  stop(): Promise<void>;
}

export async function startCanaryTracks(): Promise<CanaryTracks> {
  const canaryApp = await startMetricsApp({ rps: 0 });
  const primaryApp = await startMetricsApp({ rps: 100, errorRatio: 0.01 });
  const prometheus = await startPrometheus([
    { target: canaryApp.target, labels: { app: 'web-canary' } },
    { target: primaryApp.target, labels: { app: 'web' } },
  ]);
  await prometheus.waitForHistory(3);
  return {
    prometheus,
    canaryApp,
    primaryApp,
    async stop() {
      await prometheus.remove();
      await Promise.all([canaryApp.stop(), primaryApp.stop()]);
    },
  };
}
