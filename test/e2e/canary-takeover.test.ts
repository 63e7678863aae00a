import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { canaryProgressOf } from '../../src/engine/index.js';
import { createCanaryDriver } from '../support/canary-driver.js';
import {
  type CanaryTracks,
  canaryConfig,
  finalState,
  openCanaryApp,
  reasons,
  requestDeploy,
  seedLive,
  startCanaryTracks,
  trafficFollowsWeight,
  until,
} from '../support/canary-engine.js';
import { type DeadProcess, stopAbruptly } from '../support/dead-process.js';
import { removeTestDir, tempDir } from '../support/engine-harness.js';
import type { MetricsApp } from '../support/metrics-app.js';
import type { PrometheusProcess } from '../support/prometheus.js';

/**
 * Two Slipways on one database, as two replicas are, sharing one canary target (the in-memory
 * driver). The one walking a canary dies at its second weight; the other takes the deployment
 * over when the lease runs out and goes on from the step it had reached, judged by a real
 * Prometheus as before.
 */

let prometheus: PrometheusProcess;
let canaryApp: MetricsApp;
let dir: string;
const apps: App[] = [];
let dead: DeadProcess | null = null;

let tracks: CanaryTracks | null = null;

beforeAll(async () => {
  tracks = await startCanaryTracks();
  ({ prometheus, canaryApp } = tracks);
}, 60_000);

afterAll(async () => {
  await tracks?.stop();
});

afterEach(async () => {
  await dead?.bury();
  dead = null;
  for (const app of apps.splice(0)) await app.stop();
  await removeTestDir(dir);
});

describe('a canary whose process dies', () => {
  it('is taken over by another replica at the step it had reached, and promoted', async () => {
    dir = tempDir('slipway-canary-takeover-');
    const driver = createCanaryDriver({
      live: '1.0.0',
      onWeight: trafficFollowsWeight(canaryApp, 0.01),
    });
    const config = canaryConfig(prometheus.url);
    const first = await openCanaryApp(dir, driver, config);
    const second = await openCanaryApp(dir, driver, config);
    apps.push(second);
    await seedLive(first, '1.0.0');
    first.engine.start();
    const d = await requestDeploy(first, '1.1.0');
    const claimed = await until(async () => {
      const now = await second.store.getDeployment(d.id);
      return now?.state === 'running' ? now : null;
    });
    // The second replica runs beside the first from here on, idle until a lease runs out.
    second.engine.start();

    // Past the 25% weight (step 3 of 7 taken), waiting for its check there.
    await until(async () => {
      const now = await second.store.getDeployment(d.id);
      const progress = now ? canaryProgressOf(now) : null;
      return progress && progress.step >= 3 ? progress : null;
    });
    dead = stopAbruptly(first);
    const before = driver.calls();
    expect(before).toEqual(['start 1.1.0', 'weight 5', 'weight 25']);

    const done = await finalState(second, d.id, 90_000);
    const history = await reasons(second, d.id);
    expect(done.state, history.join('\n')).toBe('succeeded');
    const resumed = history.filter((r) => r.startsWith('resumed by '));
    expect(resumed).toEqual([
      `resumed by ${second.processId}: the process running it stopped or handed it back`,
    ]);
    expect(claimed.leaseOwner).toBe(first.processId);
    // Nothing started again: the weights go on from 25%.
    expect(driver.calls().slice(before.length)).toEqual(['weight 50', 'weight 100', 'promote']);
    expect(driver.target()).toEqual({ live: '1.1.0', canary: null });
    // Each step once in the history, the check at 25% made by the second replica.
    const afterTakeover = history.slice(history.indexOf(resumed[0] as string));
    expect(history.filter((r) => r.startsWith('canary: '))).toEqual([
      'canary: 5% of traffic to 1.1.0 (step 1 of 7)',
      'canary: 25% of traffic to 1.1.0 (step 3 of 7)',
      'canary: 50% of traffic to 1.1.0 (step 5 of 7)',
      'canary: 100% of traffic to 1.1.0 (step 7 of 7)',
      'canary: promoting 1.1.0 to all of web in production',
    ]);
    expect(afterTakeover.filter((r) => r.startsWith('canary check passed')).map(atWeight)).toEqual([
      'canary check passed at 25%',
      'canary check passed at 50%',
    ]);
  }, 120_000);
});

const atWeight = (reason: string) => reason.split(':')[0];
