import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { deploymentView } from '../../src/chat/views/index.js';
import { parseCommand } from '../../src/commands/parse.js';
import { Config } from '../../src/config/schema.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { createArgoCdDriver } from '../../src/drivers/argocd/index.js';
import { executeCommand } from '../../src/engine/execute.js';
import type { Refusal } from '../../src/engine/index.js';
import type { DeployAccepted } from '../../src/engine/requests.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { buildHookRoute } from '../../src/webhooks/build/index.js';
import {
  buildBody,
  type HookAnswer,
  post,
  SECRET,
} from '../../src/webhooks/build/test-support/hook-server.js';
import { type ArgoCdDouble, startArgoCdDouble } from '../support/argocd-double.js';
import { settingsFor, tempDir, waitFinal } from '../support/engine-harness.js';

/**
 * Rollbacks that stick, end to end: a real Slipway (SQLite, engine, policy, the build hook over
 * HTTP) deploying web to production through the argocd driver to the Argo CD double, where the
 * application runs with automated sync on. CI sends builds of `main`; people type commands as
 * they would in chat (parsed by the chat grammar, run through the same engine call).
 */
const IMAGE = 'registry.test/web';
const APP = 'web-production';
const POLICY = { prune: true, selfHeal: true };
const PINNED = 'auto-sync is off: Argo CD keeps the rollback until the next good deployment';
const RESUMED = 'auto-sync is on again, as it was before the rollback';

interface World {
  app: App;
  double: ArgoCdDouble;
  http: HttpServer;
  /** POST /hooks/build: a build of `main` with image web:<version>, signed. */
  build(version: string): Promise<HookAnswer>;
  /** A command as typed in chat by `actor`. */
  say(text: string, actor?: string): Promise<DeployAccepted | Refusal>;
  close(): Promise<void>;
}

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function start(): Promise<World> {
  const double = await startArgoCdDouble();
  double.add({ name: APP, image: IMAGE, version: '1.3.0', automated: POLICY });
  const dir = tempDir('slipway-rollbacks-stick-');
  const env = { ARGOCD_SERVER: double.url, ARGOCD_TOKEN: double.token };
  const log = createLogger({ level: process.env.SLIPWAY_TEST_LOG ?? 'silent' });
  const config = Config.parse({
    groups: { oncall: ['U-DEV1', 'alertmanager'] },
    environments: [{ name: 'production', order: 1, deployers: ['@oncall'], verifyWindow: '5s' }],
    services: [
      {
        name: 'web',
        image: IMAGE,
        owners: ['U-DEV1'],
        driver: {
          driver: 'argocd',
          options: { application: APP, kustomize: {}, pollInterval: '50ms', timeout: '20s' },
        },
      },
    ],
    // CI is not a deployer of production: this rule is what lets builds of main through.
    autoDeploy: [{ service: 'web', type: 'branch', pattern: 'main', environment: 'production' }],
    engine: { lease: '5s', pollInterval: '100ms' },
  });
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
  const route = buildHookRoute({ engine: app.engine, config, secret: SECRET, log });
  const http = createHttpServer({ engine: app.engine, store: app.store, log, routes: [route] });
  const port = await http.listen(0, '127.0.0.1');
  app.engine.start();
  let builds = 0;
  const grammar = { services: ['web'], environments: ['production'] };
  return {
    app,
    double,
    http,
    build: (version) =>
      post(
        `http://127.0.0.1:${port}/hooks/build`,
        buildBody({
          service: 'web',
          image: `${IMAGE}:${version}`,
          type: 'branch',
          target: 'main',
          // Each build its own body, as CI sends them: a rebuild is not a replay.
          commit: (0xabc0000 + ++builds).toString(16),
        }),
      ),
    async say(text, actor = 'U-DEV1') {
      const parsed = parseCommand(text, grammar);
      if (!parsed.ok) throw new Error(parsed.error);
      const done = await executeCommand(app.engine, parsed.command, {
        actor,
        source: 'chat',
        channel: 'C-WEB',
      });
      if (done.kind !== 'deploy' && done.kind !== 'rollback') throw new Error(done.kind);
      return done.result;
    },
    async close() {
      await http.close();
      await app.stop();
      await double.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function placed(w: World, answer: HookAnswer): Promise<Deployment> {
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  const [first] = answer.body.deployments as { id: string }[];
  return waitFinal(w.app, first?.id ?? '', 30_000);
}

async function ran(w: World, result: DeployAccepted | Refusal): Promise<Deployment> {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return waitFinal(w.app, result.deployment.id, 30_000);
}

function automated(w: World): unknown {
  return w.double.app(APP).spec.syncPolicy?.automated;
}

describe('rollbacks that stick', () => {
  it('a failed build is rolled back and marked; it is refused when it comes again, until deploy! with a reason', async () => {
    world = await start();
    const w = world;
    expect((await placed(w, await w.build('1.4.0'))).state).toBe('succeeded');
    expect(automated(w)).toEqual(POLICY);

    // 1.5.0 degrades: Slipway rolls it back, turning auto-sync off (Argo CD requires it).
    w.double.behave('1.5.0', 'degrade');
    const bad = await placed(w, await w.build('1.5.0'));
    expect(bad.state).toBe('rolled_back');
    expect(bad.outcome).toMatch(/^rolled back to 1\.4\.0 after: web-production is Degraded/);
    expect(automated(w)).toBeUndefined();
    expect(w.double.app(APP).status.summary.images).toEqual([`${IMAGE}:1.4.0`]);
    expect(deploymentView(bad).body).toContain(`ℹ️ ${PINNED}`);
    const mark = await w.app.store.findBadVersion('web', 'production', '1.5.0');
    expect(mark).toMatchObject({
      markedBy: 'slipway',
      deploymentId: bad.id,
      reason: expect.stringMatching(/^web-production is Degraded/),
    });
    // The version rolled back to is not marked.
    expect(await w.app.store.findBadVersion('web', 'production', '1.4.0')).toBeNull();

    // CI sends 1.5.0 again: refused with who rolled it back, when and why, and the fix.
    const callsBefore = w.double.calls.length;
    const again = await w.build('1.5.0');
    expect(again.status).toBe(403);
    expect(again.body).toMatchObject({ error: 'bad_version', deployments: [] });
    expect(again.body.message).toMatch(
      /^production: web 1\.5\.0 was rolled back in production automatically on \w{3} \d+ \w{3} \d\d:\d\d UTC: web-production is Degraded .*\. Builds and alerts never deploy it there again; a person who has checked it can, with deploy! web 1\.5\.0 to production -- <reason>\.$/,
    );
    expect(w.double.calls.length).toBe(callsBefore);
    const [refusal] = await w.app.store.listRefusals({ service: 'web' });
    expect(refusal).toMatchObject({ actor: 'ci', source: 'webhook', code: 'bad_version' });

    // A person's plain deploy is asked for deploy! with a reason; deploy! without one too.
    const plain = await w.say('deploy web 1.5.0 to production');
    expect(plain).toMatchObject({
      ok: false,
      code: 'bad_version',
      reason: expect.stringMatching(
        /If it is safe now, deploy it anyway and say why: deploy! web 1\.5\.0 to production -- <reason>\.$/,
      ),
    });
    expect(await w.say('deploy! web 1.5.0 to production')).toMatchObject({
      ok: false,
      code: 'reason_required',
    });
    expect(await w.app.store.findBadVersion('web', 'production', '1.5.0')).toEqual(mark);

    // deploy! with a reason goes through, clears the mark (recorded), and is a good deployment:
    // auto-sync comes back on as it was.
    w.double.behave('1.5.0', null);
    const forced = await w.say('deploy! web 1.5.0 to production -- the cache was cold, warmed now');
    expect(forced).toMatchObject({
      ok: true,
      notes: [expect.stringMatching(/deployed again by U-DEV1 with deploy! .* clears the mark\.$/)],
    });
    const good = await ran(w, forced);
    expect(good.state).toBe('succeeded');
    expect(await w.app.store.findBadVersion('web', 'production', '1.5.0')).toBeNull();
    const [cleared] = await w.app.store.listBadVersions({ service: 'web', cleared: true });
    expect(cleared).toMatchObject({
      id: mark?.id,
      clearedBy: 'U-DEV1',
      clearedReason: 'the cache was cold, warmed now',
      clearedDeploymentId: good.id,
    });
    const queued = (await w.app.store.listTransitions(good.id)).find((t) => t.to === 'queued');
    expect(queued?.reason).toMatch(
      /web 1\.5\.0 was rolled back in production .* clears the mark\./,
    );
    expect(good.driverRef).toMatchObject({ note: RESUMED });
    expect(automated(w)).toEqual(POLICY);
    expect(w.double.app(APP).metadata.annotations).toBeUndefined();

    // Cleared: a build of 1.5.0 is a build like any other again.
    expect((await placed(w, await w.build('1.5.0'))).state).toBe('succeeded');
  });

  it('a rollback by alert automation or a person marks what it took off, and the next rollback skips it', async () => {
    world = await start();
    const w = world;
    for (const version of ['1.4.0', '1.5.0'])
      expect((await placed(w, await w.build(version))).state).toBe('succeeded');
    const live = await w.app.store.lastSucceeded('web', 'production');

    // Alert automation rolls 1.5.0 back (as /hooks/alertmanager does with autoRollback).
    const byAlert = await ran(
      w,
      await w.app.engine.rollBack({
        actor: 'alertmanager',
        source: 'webhook',
        channel: null,
        deploymentId: live?.id ?? '',
        reason: 'Alertmanager: HighErrorRate firing after 1.5.0 was deployed',
      }),
    );
    expect(byAlert).toMatchObject({ kind: 'rollback', version: '1.4.0', state: 'succeeded' });
    expect(byAlert.driverRef).toMatchObject({ note: PINNED });
    expect(automated(w)).toBeUndefined();
    expect(await w.app.store.findBadVersion('web', 'production', '1.5.0')).toMatchObject({
      markedBy: 'alertmanager',
      reason: 'Alertmanager: HighErrorRate firing after 1.5.0 was deployed',
      deploymentId: byAlert.id,
    });
    expect(await w.app.store.findBadVersion('web', 'production', '1.4.0')).toBeNull();
    expect((await w.build('1.5.0')).body).toMatchObject({ error: 'bad_version' });

    // 1.6.0 is good (auto-sync back on); a person rolls it back: to 1.4.0, past the marked 1.5.0.
    const next = await placed(w, await w.build('1.6.0'));
    expect(next.driverRef).toMatchObject({ note: RESUMED });
    expect(automated(w)).toEqual(POLICY);
    const byPerson = await ran(w, await w.say('rollback web in production -- checkout errors'));
    expect(byPerson).toMatchObject({
      version: '1.4.0',
      state: 'succeeded',
      previousVersion: '1.6.0',
    });
    expect(await w.app.store.findBadVersion('web', 'production', '1.6.0')).toMatchObject({
      markedBy: 'U-DEV1',
      reason: 'checkout errors',
      deploymentId: byPerson.id,
    });
    expect(automated(w)).toBeUndefined();
    expect((await w.app.store.listBadVersions({ service: 'web' })).map((m) => m.version)).toEqual([
      '1.6.0',
      '1.5.0',
    ]);
  });
});
