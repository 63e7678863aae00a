import { existsSync } from 'node:fs';
import type { App } from '../../src/app.js';
import { type CanaryDriver, createCanaryDriver } from '../../test/support/canary-driver.js';
import {
  CANARY_ANALYSIS,
  canaryConfig,
  finalState,
  openCanaryApp,
  requestDeploy,
  seedLive,
  until,
} from '../../test/support/canary-engine.js';
import { removeTestDir, tempDir } from '../../test/support/engine-harness.js';
import { type MetricsApp, startMetricsApp } from '../../test/support/metrics-app.js';
import { PROMETHEUS_BINARY, startPrometheus } from '../../test/support/prometheus.js';
import type { BenchContext, Defer } from '../context.js';
import { sleep } from '../processes.js';
import { type LatencySummary, round, summarize } from '../stats.js';

/** Requests a second the canary would get at 100%; it gets its weight's share of them. */
const TOTAL_RPS = 400;
const HEALTHY = 0.01;
/** The error ratio of seed 000's example, which its canary rolled back on. */
const BAD = 0.12;
const FAILURE_LIMIT = 0;

/** One canary gone bad in its 25% step. */
export interface CanaryAbortRun {
  /** When in the step its errors began, after the 25% weight was set. */
  switchedAfterMs: number;
  /** From the first scrape after the switch to the driver's abort (weight 0). */
  detectionMs: number;
  /** How the deployment ended: `canary aborted at 25%: success-rate 0.9 < 0.95 …`. */
  outcome: string;
}

/** (f) From the first bad sample Prometheus could read to the canary's weight at 0. */
export type CanaryAbortFigure =
  | { skipped: string }
  | {
      intervalSeconds: number;
      failureLimit: number;
      errorRatio: number;
      runs: CanaryAbortRun[];
      detection: LatencySummary;
      /** Flagger's documented time to roll back: interval × threshold (threshold = failureLimit + 1). */
      flaggerMs: number;
      goalMs: number;
    };

/**
 * Walks `runs` canaries of web through 5, 25, 50, 100 with a check every `intervalSeconds`
 * against a real Prometheus scraping the canary's metrics app every second, and turns the
 * canary bad at a random moment of its 25% step. Slipway runs in this process with the
 * in-memory canary driver of the tests: what is measured is the engine and Prometheus, not a
 * router.
 */
export async function measureCanaryAbort(
  ctx: BenchContext,
  runs: number,
  intervalSeconds: number,
  defer: Defer,
): Promise<CanaryAbortFigure> {
  const binary = process.env.SLIPWAY_TEST_PROMETHEUS || PROMETHEUS_BINARY;
  if (!existsSync(binary))
    return { skipped: `no Prometheus at ${binary}: apt-get install -y prometheus` };
  const canaryApp = await startMetricsApp({ rps: 0, errorRatio: HEALTHY });
  defer(() => canaryApp.stop());
  const prometheus = await startPrometheus([
    { target: canaryApp.target, labels: { app: 'web-canary' } },
  ]);
  defer(() => prometheus.remove());
  await prometheus.waitForHistory(intervalSeconds);
  const intervalMs = intervalSeconds * 1000;
  const analysis = {
    ...CANARY_ANALYSIS,
    interval: `${intervalSeconds}s`,
    failureLimit: FAILURE_LIMIT,
  };
  const measured: CanaryAbortRun[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await abortOnce(canaryApp, canaryConfig(prometheus.url, analysis), intervalMs);
    ctx.log(
      `  run ${i + 1}: bad ${run.switchedAfterMs} ms into the 25% step, aborted ${run.detectionMs} ms after the first bad scrape (${run.outcome.split(':')[0]})`,
    );
    measured.push(run);
    // The next canary's first check must not see this one's errors in its window.
    await sleep(intervalMs + 2_000);
  }
  return {
    intervalSeconds,
    failureLimit: FAILURE_LIMIT,
    errorRatio: BAD,
    runs: measured,
    detection: summarize(measured.map((r) => r.detectionMs)),
    flaggerMs: intervalMs * (FAILURE_LIMIT + 1),
    goalMs: 2 * intervalMs,
  };
}

async function abortOnce(
  canaryApp: MetricsApp,
  config: ReturnType<typeof canaryConfig>,
  intervalMs: number,
): Promise<CanaryAbortRun> {
  canaryApp.set({ rps: 0, errorRatio: HEALTHY });
  const seen: { at25: number | null; aborted: number | null } = { at25: null, aborted: null };
  // The canary's traffic follows its weight; its error ratio is the app's, set apart.
  const driver: CanaryDriver = createCanaryDriver({
    live: '1.0.0',
    onWeight: (weight) => {
      canaryApp.set({ rps: (TOTAL_RPS * weight) / 100 });
      if (weight === 25) seen.at25 ??= performance.now();
      if (weight === 0 && driver.calls().at(-1) === 'abort') seen.aborted = performance.now();
    },
  });
  const dir = tempDir('slipway-bench-canary-');
  let app: App | null = null;
  try {
    app = await openCanaryApp(dir, driver, config);
    await seedLive(app, '1.0.0');
    app.engine.start();
    const d = await requestDeploy(app, '1.1.0');
    const stepStart = await until(async () => seen.at25, 4 * intervalMs);
    await sleep(Math.random() * intervalMs - (performance.now() - stepStart));
    canaryApp.set({ errorRatio: BAD });
    const switchedAfterMs = performance.now() - stepStart;
    const firstBadScrape = await canaryApp.nextScrape();
    const done = await finalState(app, d.id, 6 * intervalMs);
    if (done.state !== 'rolled_back' || seen.aborted === null)
      throw new Error(`the bad canary was not aborted: ${done.state}, ${done.outcome}`);
    return {
      switchedAfterMs: Math.round(switchedAfterMs),
      detectionMs: round(seen.aborted - firstBadScrape, 0),
      outcome: done.outcome ?? '',
    };
  } finally {
    await app?.stop();
    await removeTestDir(dir);
  }
}
