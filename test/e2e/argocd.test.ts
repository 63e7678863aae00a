import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { createArgoCdDriver } from '../../src/drivers/argocd/index.js';
import type { EngineEvent } from '../../src/engine/index.js';
import { type ArgoCdDouble, startArgoCdDouble } from '../support/argocd-double.js';
import { settingsFor, tempDir } from '../support/engine-harness.js';

/**
 * A real Slipway (store, engine, verify, automatic rollback) deploying through the argocd driver
 * to the Argo CD double, configured as a user would: ARGOCD_SERVER and ARGOCD_TOKEN in the
 * environment, the application's name in the driver options.
 */
const IMAGE = 'registry.test/web';

interface World {
  app: App;
  double: ArgoCdDouble;
  events: EngineEvent[];
  deploy(version: string, kind?: 'deploy' | 'rollback'): Promise<Deployment>;
  close(): Promise<void>;
}

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function start(): Promise<World> {
  const double = await startArgoCdDouble();
  double.add({ name: 'web-staging', image: IMAGE, version: '1.0.0' });
  const dir = tempDir('slipway-argocd-');
  const env = { ARGOCD_SERVER: double.url, ARGOCD_TOKEN: double.token };
  const log = createLogger({ level: process.env.SLIPWAY_TEST_LOG ?? 'silent' });
  const config = Config.parse({
    operator: 'operator',
    admins: ['operator'],
    environments: [{ name: 'staging', order: 1, verifyWindow: '5s' }],
    services: [
      {
        name: 'web',
        image: IMAGE,
        owners: ['U-OWNER'],
        driver: {
          driver: 'argocd',
          options: {
            application: 'web-staging',
            kustomize: {},
            pollInterval: '50ms',
            timeout: '20s',
          },
        },
      },
    ],
    engine: { lease: '5s', pollInterval: '100ms' },
  });
  // The driver is built here rather than by the registry only to shorten its retry backoff.
  const argocd = createArgoCdDriver(
    { dataDir: dir, env, log },
    { client: { tries: 5, backoffMs: 20, maxBackoffMs: 200, requestTimeoutMs: 5_000 } },
  );
  const app = await createApp({
    config,
    settings: settingsFor(dir),
    log,
    env,
    drivers: new Map([['argocd', argocd]]),
  });
  app.engine.start();
  const events: EngineEvent[] = [];
  app.engine.events.on((e) => {
    events.push(e);
  });
  return {
    app,
    double,
    events,
    async deploy(version, kind = 'deploy') {
      const r = await app.engine.request({
        actor: 'operator',
        source: 'cli',
        channel: null,
        service: 'web',
        environment: 'staging',
        version,
        kind,
      });
      if (!r.ok) throw new Error(`refused: ${r.reason}`);
      const signal = AbortSignal.timeout(30_000);
      const done = await app.engine.waitFor(r.deployment.id, signal, 50);
      if (signal.aborted) throw new Error(`${done.id} still ${done.state}: ${done.progress}`);
      return done;
    },
    async close() {
      await app.stop();
      await double.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function reasons(w: World, id: string): { to: string; reason: string | null }[] {
  return w.events.flatMap((e) =>
    e.type === 'transition' && e.deployment.id === id
      ? [{ to: e.deployment.state, reason: e.transition.reason }]
      : [],
  );
}

describe('argocd driver in a running Slipway, against the Argo CD double', () => {
  it('deploys: sets the image, syncs, waits for Healthy, and links the application', async () => {
    world = await start();
    const w = world;
    const done = await w.deploy('1.1.0');

    expect(done.state).toBe('succeeded');
    const sha = w.double.app('web-staging').status.sync.revision.slice(0, 7);
    const page = `${w.double.url}/applications/web-staging`;
    const steps = reasons(w, done.id);
    expect(steps.map((s) => s.to)).toEqual([
      'requested',
      'queued',
      'running',
      'verifying',
      'succeeded',
    ]);
    // What the channel reads when the sync is done: revision, history entry, environment, link.
    expect(steps[3]?.reason).toBe(
      `argocd: web-staging at revision ${sha} (history 1), Synced and Healthy in staging: ${page}`,
    );
    expect(done.outcome).toBe(`1.1.0 is live and healthy: Synced at ${sha}, Healthy`);
    expect((done.driverRef as { link?: { url: string } }).link).toEqual({
      label: 'Argo CD',
      url: page,
    });
    // Progress is coalesced to one update a second, so which sync phase shows depends on timing.
    expect(w.events.some((e) => e.type === 'progress' && /^sync /.test(e.text))).toBe(true);

    w.double.expectCalled('PATCH', /\/applications\/web-staging$/, 1);
    w.double.expectCalled('POST', /\/applications\/web-staging\/sync$/, 1);
    const live = w.double.app('web-staging');
    expect(live.spec.source.kustomize.images).toEqual([`${IMAGE}:1.1.0`]);
    expect(live.status.health.status).toBe('Healthy');
    const status = await w.app.engine.status('web');
    expect(status.find((s) => s.environment === 'staging')?.live?.version).toBe('1.1.0');
  });

  it('rolls a sync that degrades back to the previous history entry, automatically', async () => {
    world = await start();
    const w = world;
    expect((await w.deploy('1.1.0')).state).toBe('succeeded');
    w.double.behave('2.0.0', 'degrade');
    const bad = await w.deploy('2.0.0');

    expect(bad.state).toBe('rolled_back');
    expect(reasons(w, bad.id).map((s) => s.to)).toEqual([
      'requested',
      'queued',
      'running',
      'rolling_back',
      'rolled_back',
    ]);
    expect(bad.outcome).toMatch(
      /^rolled back to 1\.1\.0 after: web-staging is Degraded after the sync: .*Deployment "web" exceeded its progress deadline/,
    );
    // History: 0 is 1.0.0 (before Slipway), 1 is 1.1.0, 2 is 2.0.0; the rollback went to 1.
    const [rollback] = w.double.expectCalled('POST', /\/applications\/web-staging\/rollback$/, 1);
    expect(rollback?.body).toEqual({ name: 'web-staging', id: 1, prune: false });
    const live = w.double.app('web-staging');
    expect(live.status.summary.images).toEqual([`${IMAGE}:1.1.0`]);
    expect(live.status.health.status).toBe('Healthy');
    expect(live.spec.source.kustomize.images).toEqual([`${IMAGE}:1.1.0`]);
    expect(live.status.sync.status).toBe('Synced');
  });

  it('rolls back to the previous entry when Slipway has no record of an earlier version', async () => {
    world = await start();
    const w = world;
    w.double.behave('2.0.0', 'fail');
    const bad = await w.deploy('2.0.0');

    expect(bad.state).toBe('rolled_back');
    expect(bad.outcome).toMatch(
      /^rolled back to the previous revision after: the sync of web-staging failed: one or more objects failed to apply/,
    );
    expect(w.double.expectCalled('POST', /\/rollback$/, 1)[0]?.body.id).toBe(0);
    expect(w.double.app('web-staging').status.summary.images).toEqual([`${IMAGE}:1.0.0`]);
  });

  it('under automated sync, turns it off to roll back and says so on the card', async () => {
    world = await start();
    const w = world;
    expect((await w.deploy('1.1.0')).state).toBe('succeeded');
    w.double.setAutomated('web-staging', true);
    w.double.behave('2.0.0', 'degrade');
    const bad = await w.deploy('2.0.0');

    expect(bad.state).toBe('rolled_back');
    expect(bad.outcome).toMatch(/^rolled back to 1\.1\.0 after: web-staging is Degraded/);
    expect((bad.driverRef as { note?: string }).note).toBe(
      'auto-sync is off: Argo CD keeps the rollback until the next good deployment',
    );
    const live = w.double.app('web-staging');
    expect(live.spec.syncPolicy.automated).toBeUndefined();
    expect(live.status.summary.images).toEqual([`${IMAGE}:1.1.0`]);
    expect(w.double.callsTo('POST', /\/rollback$/).map((c) => c.status)).toEqual([200]);
  });

  it('recovers from 5xx answers by retrying', async () => {
    world = await start();
    const w = world;
    w.double.fail({ method: 'GET', path: /web-staging$/, status: 502 });
    w.double.fail({ method: 'POST', path: /\/sync$/, status: 503, times: 2 });
    const done = await w.deploy('1.1.0');

    expect(done.state).toBe('succeeded');
    const syncs = w.double.expectCalled('POST', /\/sync$/, 3);
    expect(syncs.map((c) => c.status)).toEqual([503, 503, 200]);
    expect(w.double.callsTo('GET', /web-staging$/)[0]?.status).toBe(502);
    expect(w.double.app('web-staging').status.history).toHaveLength(2);
  });
});
