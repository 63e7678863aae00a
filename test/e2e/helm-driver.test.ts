import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import { type Deployment, isFinal } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { isAlive } from '../../src/drivers/command/processes.js';
import { RunRecord, runDirOf } from '../../src/drivers/helm/runs.js';
import type { EngineEvent } from '../../src/engine/index.js';
import { removeTestDir, settingsFor, tempDir } from '../support/engine-harness.js';
import { runTool, testenvTools } from '../support/helm.js';
import {
  type Admin,
  adminOf,
  CLUSTER_START_MS,
  describeWithCluster,
  freshNamespace,
  imageOf,
  startTestCluster,
  type TestCluster,
  waitRolledOut,
} from '../support/k8s-cluster.js';
import { exited, ROOT, type ServerProcess, startServer } from '../support/processes.js';

/**
 * The helm driver against the real control plane (kwok for the kubelets) with the real helm that
 * scripts/k8s-testenv.sh builds, deploying test/fixtures/helm-chart: one Deployment whose image
 * is {{ .Values.image.repository }}:{{ .Values.image.tag }}. kwok never makes a pod Ready whose
 * image tag contains "bad", which is how a bad release looks here.
 */

const CHART = resolve(import.meta.dirname, '../fixtures/helm-chart');
const REPO = 'registry.example.com/web';

interface HistoryRow {
  revision: number;
  status: string;
  description: string;
}

describeWithCluster('helm driver against a real control plane and a real helm', () => {
  let cluster: TestCluster;
  let admin: Admin;
  let helmBin = '';
  let home = '';
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster();
    ({ helm: helmBin } = await testenvTools());
    admin = adminOf(cluster);
    home = tempDir('slipway-helm-home-');
  }, CLUSTER_START_MS);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await cluster?.stop();
    if (home) await removeTestDir(home);
  });

  /** helm keeps its cache and settings in the test's directory, not the home directory. */
  function helmEnv(bin = helmBin): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: home,
      HELM_BIN: bin,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    };
  }

  function configFor(namespace: string, options: Record<string, unknown> = {}) {
    return {
      operator: 'operator',
      admins: ['operator'],
      environments: [{ name: 'staging', order: 1, verifyWindow: '10s' }],
      services: [
        {
          name: 'web',
          owners: ['U-OWNER'],
          driver: {
            driver: 'helm',
            options: {
              chart: CHART,
              namespace,
              kubeconfig: cluster.kubeconfig,
              timeout: '60s',
              ...options,
            },
          },
        },
      ],
      engine: { lease: '2s', pollInterval: '100ms' },
    };
  }

  /** A Slipway in this process (store, engine, drivers) with helm's environment. */
  async function startApp(namespace: string, options: Record<string, unknown> = {}) {
    const dir = tempDir('slipway-helm-app-');
    const app = await createApp({
      config: Config.parse(configFor(namespace, options)),
      settings: settingsFor(dir),
      log: createLogger({ level: process.env.SLIPWAY_TEST_LOG ?? 'silent' }),
      env: helmEnv(),
    });
    app.engine.start();
    cleanups.push(async () => {
      await app.stop();
      await removeTestDir(dir);
    });
    return { app, dir };
  }

  async function request(app: App, version: string): Promise<Deployment> {
    const r = await app.engine.request({
      actor: 'operator',
      source: 'cli',
      channel: null,
      service: 'web',
      environment: 'staging',
      version,
      kind: 'deploy',
    });
    if (!r.ok) throw new Error(`refused: ${r.reason}`);
    return r.deployment;
  }

  async function final(app: App, id: string, timeoutMs = 90_000): Promise<Deployment> {
    const signal = AbortSignal.timeout(timeoutMs);
    const d = await app.engine.waitFor(id, signal, 100);
    if (signal.aborted) throw new Error(`${id} still ${d.state} after ${timeoutMs} ms`);
    return d;
  }

  function progressOf(events: EngineEvent[], id: string): string[] {
    return events.flatMap((e) => (e.type === 'progress' && e.deployment.id === id ? [e.text] : []));
  }

  async function history(namespace: string): Promise<HistoryRow[]> {
    const out = await runTool(
      helmBin,
      ['history', 'web', '-n', namespace, '-o', 'json', '--kubeconfig', cluster.kubeconfig],
      {
        env: helmEnv(),
      },
    );
    if (out.code !== 0) throw new Error(out.stderr);
    return JSON.parse(out.stdout) as HistoryRow[];
  }

  const live = (namespace: string) =>
    admin.apps.readNamespacedDeployment({ name: 'web', namespace });

  it('installs, then upgrades with progress, with the release revision in the summary', async () => {
    const namespace = await freshNamespace(admin, 'helm-up');
    const { app } = await startApp(namespace, {
      set: { replicaCount: 3, readyDelay: '1500ms' },
    });
    const events: EngineEvent[] = [];
    app.engine.events.on((e) => {
      events.push(e);
    });

    const install = await final(app, (await request(app, '1.0.0')).id);
    expect(install.state, install.outcome ?? '').toBe('succeeded');
    expect(install.outcome).toBe(
      '1.0.0 is live and healthy: release web revision 1: web: ready 3 of 3',
    );

    const upgrade = await request(app, '1.1.0');
    const done = await final(app, upgrade.id);
    expect(done.state, done.outcome ?? '').toBe('succeeded');
    const transitions = await app.store.listTransitions(upgrade.id);
    expect(transitions.find((t) => t.to === 'verifying')?.reason).toBe(
      'helm: release web revision 2: rolled out: ready 3 of 3',
    );
    // Each new pod takes 1.5 s to become Ready: the rollout is seen part way, then whole.
    const progress = progressOf(events, upgrade.id);
    expect(
      progress.some((t) => /^release web revision 2: rolling out: ready [0-2] of 3$/.test(t)),
    ).toBe(true);
    expect(done.outcome).toBe(
      '1.1.0 is live and healthy: release web revision 2: web: ready 3 of 3',
    );

    expect(imageOf(await live(namespace))).toBe(`${REPO}:1.1.0`);
    expect(await history(namespace)).toMatchObject([
      {
        revision: 1,
        status: 'superseded',
        description: `Slipway deploy ${install.id}: web 1.0.0 by operator (live before: none)`,
      },
      {
        revision: 2,
        status: 'deployed',
        description: `Slipway deploy ${upgrade.id}: web 1.1.0 by operator (live before: revision 1)`,
      },
    ]);
    // The handle the engine keeps says which revisions, so any process can follow or undo it.
    expect((done.driverRef as { deploy: unknown }).deploy).toMatchObject({
      phase: 'deploy',
      release: 'web',
      namespace,
      revision: 2,
      previousRevision: 1,
      version: '1.1.0',
    });

    // By hand, to a version: the newest revision whose values ran it comes back.
    const back = await app.engine.request({
      actor: 'operator',
      source: 'cli',
      channel: null,
      service: 'web',
      environment: 'staging',
      version: '1.0.0',
      kind: 'rollback',
    });
    if (!back.ok) throw new Error(back.reason);
    const rolled = await final(app, back.deployment.id);
    expect(rolled.state, rolled.outcome ?? '').toBe('succeeded');
    expect(rolled.outcome).toBe(
      '1.0.0 is live and healthy: release web revision 3: web: ready 3 of 3',
    );
    const rollbackTransitions = await app.store.listTransitions(back.deployment.id);
    expect(rollbackTransitions.find((t) => t.to === 'verifying')?.reason).toBe(
      'helm: release web revision 3 (revision 1 again): rolled out: ready 3 of 3',
    );
    expect((await history(namespace)).at(-1)).toMatchObject({
      revision: 3,
      status: 'deployed',
      description: 'Rollback to 1',
    });
    expect(imageOf(await live(namespace))).toBe(`${REPO}:1.0.0`);
  });

  it('rolls a bad image back to the revision that was live, with helm rollback', async () => {
    const namespace = await freshNamespace(admin, 'helm-bad');
    const { app } = await startApp(namespace, { set: { progressDeadlineSeconds: 4 } });
    const first = await final(app, (await request(app, '1.0.0')).id);
    expect(first.state).toBe('succeeded');
    const second = await final(app, (await request(app, '1.1.0')).id);
    expect(second.state).toBe('succeeded');

    const events: EngineEvent[] = [];
    app.engine.events.on((e) => {
      events.push(e);
    });
    const bad = await request(app, '2.0.0-bad');
    const done = await final(app, bad.id);

    expect(done.state).toBe('rolled_back');
    expect(done.outcome).toMatch(
      /^rolled back to 1\.1\.0 after: release web revision 3: web exceeded its progress deadline with 0 of 2 updated replicas ready/,
    );
    const states = events.flatMap((e) =>
      e.type === 'transition' && e.deployment.id === bad.id ? [e.deployment.state] : [],
    );
    expect(states).toEqual(['requested', 'queued', 'running', 'rolling_back', 'rolled_back']);
    // helm rollback to revision 2 (what was live), as a new revision 4.
    expect(await history(namespace)).toMatchObject([
      { revision: 1, status: 'superseded' },
      { revision: 2, status: 'superseded' },
      { revision: 3, status: 'superseded' },
      { revision: 4, status: 'deployed', description: 'Rollback to 2' },
    ]);
    expect((done.driverRef as { rollback: unknown }).rollback).toMatchObject({
      phase: 'rollback',
      revision: 4,
      restores: 2,
    });
    const rolledBack = await app.store.listTransitions(bad.id);
    expect(rolledBack.at(-1)?.reason).toContain('rolled back to 1.1.0');
    const after = await waitRolledOut(admin, namespace, 'web');
    expect(imageOf(after)).toBe(`${REPO}:1.1.0`);
  });

  /** `slipway serve` on a config file and SQLite database in `dir`, with helm as `bin`. */
  function serverEnv(dir: string, bin: string): NodeJS.ProcessEnv {
    const settings = settingsFor(dir);
    return {
      ...helmEnv(bin),
      SLIPWAY_CONFIG: join(dir, 'slipway.yaml'),
      SLIPWAY_DATABASE_URL: settings.databaseUrl,
      SLIPWAY_DATA_DIR: dir,
    };
  }

  async function serve(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
    const server = await startServer(env);
    cleanups.push(async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL');
        await exited(server.child);
      }
    });
    return server;
  }

  /** Another process on the same database that asks for deployments, as the CLI would. */
  async function client(dir: string, namespace: string, options: Record<string, unknown>) {
    const app = await createApp({
      config: Config.parse(configFor(namespace, options)),
      settings: settingsFor(dir),
      log: createLogger({ level: 'silent' }),
      env: helmEnv(),
    });
    cleanups.push(() => app.stop());
    return app;
  }

  async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function finalIn(app: App, id: string, timeoutMs: number, server: ServerProcess) {
    let found: Deployment | null = null;
    await until(
      async () => {
        found = await app.store.getDeployment(id);
        return found !== null && isFinal(found.state);
      },
      timeoutMs,
      `${id} final; server output:\n${server.output().slice(-3000)}`,
    );
    return found as unknown as Deployment;
  }

  it('takes over an upgrade whose Slipway was SIGKILLed while helm ran, without running helm again', async () => {
    const namespace = await freshNamespace(admin, 'helm-kill');
    const dir = tempDir('slipway-helm-kill-');
    cleanups.push(() => removeTestDir(dir));
    // The real helm, started 8 s late for upgrades, so that Slipway can be killed
    // while helm holds the release.
    const slowHelm = join(dir, 'slow-helm');
    writeFileSync(
      slowHelm,
      `#!/bin/sh\nif [ "$1" = upgrade ]; then sleep 8; fi\nexec ${JSON.stringify(helmBin)} "$@"\n`,
    );
    chmodSync(slowHelm, 0o755);
    const options = { set: { replicaCount: 2, readyDelay: '1s' } };
    writeFileSync(join(dir, 'slipway.yaml'), JSON.stringify(configFor(namespace, options)));
    const env = serverEnv(dir, slowHelm);
    const cli = await client(dir, namespace, options);

    const first = await serve(env);
    const install = await request(cli, '1.0.0');
    expect((await finalIn(cli, install.id, 60_000, first)).state).toBe('succeeded');

    const upgrade = await request(cli, '1.1.0');
    const recordFile = join(runDirOf(dir, upgrade.id, 'deploy'), 'run.json');
    let helmPid = 0;
    await until(
      () => {
        if (!existsSync(recordFile)) return false;
        const record = RunRecord.parse(JSON.parse(readFileSync(recordFile, 'utf8')));
        helmPid = record.process?.pid ?? 0;
        return record.process !== null;
      },
      20_000,
      'helm upgrade started',
    );
    first.child.kill('SIGKILL');
    await exited(first.child);
    // helm runs in its own process group: Slipway's death does not stop it.
    const record = RunRecord.parse(JSON.parse(readFileSync(recordFile, 'utf8')));
    expect(record.process && isAlive(record.process)).toBe(true);
    expect((await cli.store.getDeployment(upgrade.id))?.driverRef).toBeNull();

    const second = await serve(env);
    const done = await finalIn(cli, upgrade.id, 60_000, second);
    expect(done.state, done.outcome ?? '').toBe('succeeded');
    expect(done.outcome).toBe(
      '1.1.0 is live and healthy: release web revision 2: web: ready 2 of 2',
    );
    // One upgrade: the second Slipway waited for the first one's helm and followed its revision.
    expect((await history(namespace)).map((h) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    expect(second.output()).toContain('helm from an earlier attempt still runs; waiting');
    expect(second.output()).toMatch(new RegExp(`"pid":${helmPid}`));
    const transitions = await cli.store.listTransitions(upgrade.id);
    expect(transitions.filter((t) => t.reason?.startsWith('resumed by '))).toHaveLength(1);
    expect(imageOf(await live(namespace))).toBe(`${REPO}:1.1.0`);

    // helm's own output, through `slipway logs`.
    const logs = await runTool(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/index.ts'), 'logs', upgrade.id],
      { env: { ...process.env, ...env, SLIPWAY_LOG_LEVEL: 'silent' }, cwd: ROOT },
    );
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain(
      `── ${upgrade.id} deploy (${join(runDirOf(dir, upgrade.id, 'deploy'), 'output.log')}) ──`,
    );
    expect(logs.stdout).toContain('Release "web" has been upgraded. Happy Helming!');
    expect(logs.stdout).toContain('REVISION: 2');
  }, 150_000);

  it('follows the rollout again after a SIGKILL while it was rolling out, and rolls back a bad one', async () => {
    const namespace = await freshNamespace(admin, 'helm-watch');
    const dir = tempDir('slipway-helm-watch-');
    cleanups.push(() => removeTestDir(dir));
    const options = { set: { replicaCount: 2, readyDelay: '3s', progressDeadlineSeconds: 8 } };
    writeFileSync(join(dir, 'slipway.yaml'), JSON.stringify(configFor(namespace, options)));
    const env = serverEnv(dir, helmBin);
    const cli = await client(dir, namespace, options);

    const first = await serve(env);
    const install = await request(cli, '1.0.0');
    expect((await finalIn(cli, install.id, 60_000, first)).state).toBe('succeeded');

    const bad = await request(cli, '2.0.0-bad');
    // Killed once the engine holds the handle and the rollout is being followed.
    await until(
      async () => {
        const d = await cli.store.getDeployment(bad.id);
        return (
          Boolean((d?.driverRef as { deploy?: unknown } | null)?.deploy) &&
          /rolling out/.test(d?.progress ?? '')
        );
      },
      30_000,
      'rollout followed',
    );
    first.child.kill('SIGKILL');
    await exited(first.child);

    const second = await serve(env);
    const done = await finalIn(cli, bad.id, 90_000, second);
    expect(done.state, done.outcome ?? '').toBe('rolled_back');
    expect(done.outcome).toMatch(
      /^rolled back to 1\.0\.0 after: release web revision 2: web exceeded its progress deadline/,
    );
    expect((await history(namespace)).map((h) => [h.revision, h.status, h.description])).toEqual([
      [1, 'superseded', `Slipway deploy ${install.id}: web 1.0.0 by operator (live before: none)`],
      [
        2,
        'superseded',
        `Slipway deploy ${bad.id}: web 2.0.0-bad by operator (live before: revision 1)`,
      ],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    expect(second.output()).toMatch(/resuming deployment left by a stopped process/);
    const after = await waitRolledOut(admin, namespace, 'web');
    expect(imageOf(after)).toBe(`${REPO}:1.0.0`);
  }, 150_000);
});
