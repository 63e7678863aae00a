import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { handleInbound } from '../../src/chat/handler.js';
import { createNotifier } from '../../src/chat/notifier.js';
import { createRecordingChat } from '../../src/chat/test-support/recording-chat.js';
import { createLogger } from '../../src/core/logger.js';
import { type CanaryDriver, createCanaryDriver } from '../support/canary-driver.js';
import {
  type CanaryTracks,
  canaryConfig,
  finalState,
  trafficFollowsWeight as followWeight,
  openCanaryApp,
  reasons,
  requestDeploy,
  seedLive,
  startCanaryTracks,
  until,
} from '../support/canary-engine.js';
import { removeTestDir, tempDir } from '../support/engine-harness.js';
import type { MetricsApp } from '../support/metrics-app.js';
import type { PrometheusProcess } from '../support/prometheus.js';

/**
 * The engine walking a canary against a real Prometheus (Debian's) that scrapes a metrics app
 * per track: the canary's (app="web-canary") and the primary's (app="web"). The driver keeps
 * its target in memory, so what is asserted is the walk: which weights were set in which
 * order, what each check measured, and what the target runs at the end.
 */

let prometheus: PrometheusProcess;
let canaryApp: MetricsApp;
const opened: { app: App; dir: string }[] = [];

let tracks: CanaryTracks | null = null;

beforeAll(async () => {
  tracks = await startCanaryTracks();
  ({ prometheus, canaryApp } = tracks);
}, 60_000);

afterAll(async () => {
  await tracks?.stop();
});

afterEach(async () => {
  for (const { app, dir } of opened.splice(0)) {
    await app.stop();
    await removeTestDir(dir);
  }
});

async function start(driver: CanaryDriver, analysis?: object): Promise<App> {
  const dir = tempDir('slipway-canary-');
  const app = await openCanaryApp(dir, driver, canaryConfig(prometheus.url, analysis));
  opened.push({ app, dir });
  await seedLive(app, '1.0.0');
  app.engine.start();
  return app;
}

/** The canary's traffic follows its weight, with `errorRatio` of it failing. */
const trafficFollowsWeight = (errorRatio: number) => followWeight(canaryApp, errorRatio);
const deploy = requestDeploy;
const final = finalState;

describe('a canary walked by the engine, judged by Prometheus', () => {
  it('walks a healthy canary through 5, 25, 50 and 100, checking at each step, and promotes it', async () => {
    const driver = createCanaryDriver({ live: '1.0.0', onWeight: trafficFollowsWeight(0.01) });
    const app = await start(driver);
    const d = await deploy(app, '1.1.0');
    const done = await final(app, d.id, 90_000);
    expect(done.state).toBe('succeeded');
    expect(driver.calls()).toEqual([
      'start 1.1.0',
      'weight 5',
      'weight 25',
      'weight 50',
      'weight 100',
      'promote',
    ]);
    expect(driver.target()).toEqual({ live: '1.1.0', canary: null });
    const history = await reasons(app, d.id);
    // Every step is written before it is taken, and every verdict is in the history.
    expect(history.filter((r) => r.startsWith('canary: '))).toEqual([
      'canary: 5% of traffic to 1.1.0 (step 1 of 7)',
      'canary: 25% of traffic to 1.1.0 (step 3 of 7)',
      'canary: 50% of traffic to 1.1.0 (step 5 of 7)',
      'canary: 100% of traffic to 1.1.0 (step 7 of 7)',
      'canary: promoting 1.1.0 to all of web in production',
    ]);
    const passed = history.filter((r) => r.startsWith('canary check passed'));
    expect(passed.map((r) => r.split(':')[0])).toEqual([
      'canary check passed at 5%',
      'canary check passed at 25%',
      'canary check passed at 50%',
    ]);
    expect(passed[0]).toMatch(/success-rate 0\.99 \(>= 0\.95\)/);
  }, 120_000);

  it('aborts a canary at 12% errors at its first check, the primary untouched, naming the value', async () => {
    const driver = createCanaryDriver({ live: '1.0.0', onWeight: trafficFollowsWeight(0.12) });
    const app = await start(driver);
    const d = await deploy(app, '1.1.0-bad');
    const done = await final(app, d.id);
    expect(done.state).toBe('rolled_back');
    expect(done.outcome).toMatch(/^canary aborted at 5%: success-rate 0\.88 < 0\.95/);
    expect(done.outcome).toContain('the canary was removed and web in production stays on 1.0.0');
    expect(driver.calls()).toEqual(['start 1.1.0-bad', 'weight 5', 'abort']);
    expect(driver.target()).toEqual({ live: '1.0.0', canary: null });
  }, 60_000);

  it('pauses and asks when there is no traffic to judge, and goes on when told to promote', async () => {
    const driver = createCanaryDriver({ live: '1.0.0', onWeight: () => canaryApp.set({ rps: 0 }) });
    const app = await start(driver);
    const chat = createRecordingChat();
    const notifier = createNotifier({
      events: app.engine.events,
      store: app.store,
      chat: chat.client,
      config: app.config,
      log: createLogger({ level: 'silent' }),
    });
    notifier.start();
    const click = (actionId: string, value: string, user: string) =>
      handleInbound(
        {
          kind: 'action',
          actionId,
          value,
          user,
          channel: 'C-WEB',
          messageTs: '1.1',
          responseUrl: null,
          deliveryId: `click-${actionId}-${user}`,
        },
        {
          engine: app.engine,
          chat: chat.client,
          config: app.config,
          log: createLogger({ level: 'silent' }),
        },
      );
    const d = await deploy(app, '1.2.0');
    const asked = await until(async () => {
      const now = await app.store.getDeployment(d.id);
      const progress = (now?.driverRef as { canary?: { paused?: { asked: boolean } } }) ?? {};
      return progress.canary?.paused?.asked ? now : null;
    });
    expect(asked.progress).toMatch(/^canary paused at 5%: no verdict after 2 inconclusive checks/);
    expect(asked.progress).toContain('needed (minSamples): waiting for traffic');
    // The card's thread asks, with the answers as buttons. The pause is recorded before the
    // notifier hears of it, so the question may come a moment after the record.
    const question = await until(async () => {
      await notifier.idle();
      const [card] = chat.inChannel('C-WEB');
      if (!card) return null;
      return (
        chat
          .thread(card)
          .map((m) => chat.latest(m))
          .find((v) => v.title.startsWith('❓')) ?? null
      );
    });
    expect(question?.title).toMatch(/^❓ web 1\.2\.0: no verdict after 2 inconclusive checks/);
    expect(question?.actions?.map((a) => a.id)).toEqual([
      'canary_promote',
      'canary_resume',
      'cancel',
    ]);
    // Nobody outside the requester, the owners and the admins steers it.
    await click('canary_promote', d.id, 'U-STRANGER');
    expect(chat.callsOf('postEphemeral').at(-1)?.view?.title).toMatch(
      /Only the requester \(U-DEV1\), the owners of web .* may steer the canary of this deployment/,
    );
    await click('canary_promote', d.id, 'U-DEV1');
    const done = await final(app, d.id);
    expect(done.state, (await reasons(app, d.id)).join('\n')).toBe('succeeded');
    expect(driver.target()).toEqual({ live: '1.2.0', canary: null });
    expect(await reasons(app, d.id)).toContain('canary promoted now by U-DEV1, at 5%');
    await notifier.stop();
  }, 60_000);

  it('aborts with a clear message once Prometheus stops answering past consecutiveErrorLimit', async () => {
    const driver = createCanaryDriver({ live: '1.0.0', onWeight: trafficFollowsWeight(0.01) });
    const app = await start(driver);
    const d = await deploy(app, '1.3.0');
    await until(async () => ((driver.target().canary?.weight ?? 0) >= 5 ? true : null));
    await prometheus.stop();
    try {
      const done = await final(app, d.id);
      expect(done.state).toBe('rolled_back');
      expect(done.outcome).toMatch(
        /^canary aborted at 5%: 2 checks in a row could not be made \(consecutiveErrorLimit 1\)/,
      );
      expect(done.outcome).toContain(prometheus.url);
      expect(driver.target()).toEqual({ live: '1.0.0', canary: null });
    } finally {
      await prometheus.start();
      await prometheus.waitForHistory(3);
    }
  }, 90_000);

  it('can be paused at its weight and resumed, by those who may', async () => {
    const driver = createCanaryDriver({ live: '1.0.0', onWeight: trafficFollowsWeight(0.01) });
    const app = await start(driver);
    const d = await deploy(app, '1.4.0');
    await until(async () => ((driver.target().canary?.weight ?? 0) >= 5 ? true : null));
    const steer = (action: 'pause' | 'resume') =>
      app.engine.steer({
        deploymentId: d.id,
        actor: 'U-SRE',
        channel: null,
        source: 'chat',
        action,
      });
    expect((await steer('pause')).ok).toBe(true);
    await until(async () => {
      const now = await app.store.getDeployment(d.id);
      const ref = now?.driverRef as { canary?: { paused?: unknown } } | undefined;
      return ref?.canary?.paused ? true : null;
    });
    // Held: well past an interval, the weight has not moved.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(driver.target().canary?.weight).toBe(5);
    expect((await steer('resume')).ok).toBe(true);
    expect((await final(app, d.id, 90_000)).state).toBe('succeeded');
    const history = await reasons(app, d.id);
    expect(history).toContain('canary paused at 5% by U-SRE');
    expect(history).toContain('canary resumed at 5% by U-SRE');
  }, 120_000);

  it('removes the canary too when a promotion is cancelled halfway and the live target rolled back', async () => {
    const driver = createCanaryDriver({
      live: '1.0.0',
      onWeight: trafficFollowsWeight(0.01),
      promoteHold: new Promise(() => {}),
    });
    const app = await start(driver);
    const d = await requestDeploy(app, '1.5.0');
    await until(async () => (driver.calls().includes('promote') ? true : null), 90_000);
    const cancelled = await app.engine.cancel({
      deploymentId: d.id,
      actor: 'U-DEV1',
      channel: null,
      source: 'cli',
    });
    expect(cancelled.ok).toBe(true);
    const done = await finalState(app, d.id);
    expect(done.state).toBe('rolled_back');
    expect(driver.calls().slice(-3)).toEqual(['promote', 'rollback 1.0.0', 'abort']);
    expect(driver.target()).toEqual({ live: '1.0.0', canary: null });
  }, 120_000);
});
