import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  removeTestDir,
  requestWeb,
  scenarioConfig,
  settingsFor,
  tempDir,
  waitFinal,
} from '../../../test/support/engine-harness.js';
import {
  type GrafanaDouble,
  type RecordedCall,
  startGrafanaDouble,
} from '../../../test/support/grafana-double.js';
import { type App, createApp } from '../../app.js';
import type { Deployment } from '../../core/deployment.js';
import { createLogger } from '../../core/logger.js';

const TOKEN = 'glsa_test_token';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface LogLine {
  level: number;
  msg: string;
  err?: { message: string };
  [key: string]: unknown;
}

/** A Grafana double and a data directory the apps of one test share (one database). */
async function world(options: { ms?: number } = {}) {
  const grafana = await startGrafanaDouble({ token: TOKEN, dashboards: ['web-uid'] });
  const dir = tempDir('slipway-grafana-');
  cleanups.push(async () => {
    await grafana.close();
    await removeTestDir(dir);
  });
  const config = scenarioConfig(join(dir, 'targets'), { ms: options.ms ?? 400 });
  config.grafana = { dashboardUID: 'web-uid' };
  const logs: LogLine[] = [];
  /** One Slipway process; its Grafana retries are quick, so that tests stay short. */
  async function app(
    tuning: { maxAttempts?: number; token?: string } = {},
  ): Promise<App & { stopped: () => number | null }> {
    const settings = settingsFor(dir);
    settings.integrations.grafanaUrl = grafana.url;
    settings.integrations.grafanaToken = tuning.token ?? TOKEN;
    const log = createLogger({ level: 'warn' }, { write: (line) => logs.push(JSON.parse(line)) });
    const created = await createApp({
      config,
      settings,
      log,
      grafana: { retryBaseMs: 20, retryMaxMs: 100, maxAttempts: tuning.maxAttempts ?? 6 },
    });
    let stoppedAt: number | null = null;
    const stop = created.stop.bind(created);
    const wrapped = Object.assign(created, {
      stop: async (o?: { drainMs?: number }) => {
        await stop(o);
        stoppedAt ??= Date.now();
      },
      stopped: () => stoppedAt,
    });
    cleanups.push(() => wrapped.stop());
    await wrapped.start();
    return wrapped;
  }
  return { grafana, app, logs, dir };
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Its end is written, as the store records it (the engine's event may trail its poll). */
async function ended(app: App, id: string): Promise<void> {
  await until(
    async () => (await app.store.getGrafanaAnnotation(id))?.endedAt != null,
    `the end of ${id} is written`,
  );
}

const tagsOf = (d: Deployment, outcome?: string) => [
  'slipway',
  'service:web',
  `environment:${d.environment}`,
  `version:${d.version}`,
  `deployment:${d.id}`,
  ...(outcome ? [`outcome:${outcome}`] : []),
];

const posts = (g: GrafanaDouble): RecordedCall[] => g.called('POST', /^\/api\/annotations$/);
const patches = (g: GrafanaDouble): RecordedCall[] => g.called('PATCH', /^\/api\/annotations\//);

describe('Grafana annotations of deployments run by the engine', () => {
  it('marks a deployment from its start, and its end with the outcome once it succeeded', async () => {
    const { grafana, app } = await world();
    const slipway = await app();
    const asked = Date.now();
    const d = await requestWeb(slipway, { version: '1.4.2' });
    // Created while it runs: a point at its start, no outcome yet.
    await until(() => posts(grafana).length === 1, 'the annotation is created');
    expect((await slipway.store.getDeployment(d.id))?.state).not.toBe('succeeded');
    const [post] = posts(grafana);
    expect(post?.auth).toBe('bearer');
    expect(post?.body).toEqual({
      time: expect.any(Number),
      tags: tagsOf(d),
      text: expect.stringContaining('Deploy of web 1.4.2 to staging, asked by U-DEV1 from chat.'),
      dashboardUID: 'web-uid',
    });

    const final = await waitFinal(slipway, d.id);
    expect(final.state).toBe('succeeded');
    await ended(slipway, d.id);
    const startedAt = final.startedAt?.getTime() ?? 0;
    const finishedAt = final.finishedAt?.getTime() ?? 0;
    // The region is the deployment's: from when it was claimed to run, to when it went live.
    expect(startedAt).toBeGreaterThanOrEqual(asked);
    expect(startedAt).toBeLessThanOrEqual(post?.at ?? 0);
    expect(finishedAt - startedAt).toBeGreaterThanOrEqual(400);
    expect(grafana.annotations()).toEqual([
      {
        id: 1,
        time: startedAt,
        timeEnd: finishedAt,
        tags: tagsOf(d, 'succeeded'),
        text: expect.stringMatching(/\nSucceeded after \d+m?s: 1\.4\.2 is live and healthy/),
        dashboardUID: 'web-uid',
        panelId: 0,
      },
    ]);
    expect(patches(grafana)[0]?.at).toBeGreaterThanOrEqual(finishedAt);
    grafana.expect(
      { method: 'POST', path: /^\/api\/annotations$/ },
      { method: 'PATCH', path: /^\/api\/annotations\/1$/ },
    );
    grafana.verify();
    expect(await slipway.store.getGrafanaAnnotation(d.id)).toMatchObject({
      annotationId: 1,
      endedAt: expect.any(Date),
    });
  });

  it('tags a failed deploy failed, and one rolled back rolled_back, each with its own region', async () => {
    const { grafana, app } = await world({ ms: 150 });
    const slipway = await app();
    const failed = await waitFinal(
      slipway,
      (await requestWeb(slipway, { version: '0.9.0-bad' })).id,
    );
    expect(failed.state).toBe('failed');
    const good = await waitFinal(slipway, (await requestWeb(slipway, { version: '1.0.0' })).id);
    const bad = await waitFinal(slipway, (await requestWeb(slipway, { version: '1.1.0-bad' })).id);
    expect(bad.state).toBe('rolled_back');
    for (const d of [failed, good, bad]) await ended(slipway, d.id);
    const byVersion = new Map(grafana.annotations().map((a) => [a.tags[3], a]));
    expect(byVersion.get('version:0.9.0-bad')).toMatchObject({
      tags: tagsOf(failed, 'failed'),
      time: failed.startedAt?.getTime(),
      timeEnd: failed.finishedAt?.getTime(),
      text: expect.stringMatching(/\nFailed after \d+m?s: 0\.9\.0-bad crashed on start \(exit 3\)/),
    });
    expect(byVersion.get('version:1.0.0')?.tags).toEqual(tagsOf(good, 'succeeded'));
    // Its region runs through the rollback, to when 1.0.0 was back.
    expect(byVersion.get('version:1.1.0-bad')).toMatchObject({
      tags: tagsOf(bad, 'rolled_back'),
      time: bad.startedAt?.getTime(),
      timeEnd: bad.finishedAt?.getTime(),
      text: expect.stringContaining('Replacing 1.0.0.'),
    });
    expect(grafana.annotations()).toHaveLength(3);
    expect(posts(grafana)).toHaveLength(3);
    expect(patches(grafana)).toHaveLength(3);
  });

  it('finishes the annotation in the process that resumes the deployment after a restart', async () => {
    const { grafana, app } = await world({ ms: 2_500 });
    const first = await app();
    const d = await requestWeb(first, { version: '2.0.0' });
    await until(
      async () => (await first.store.getGrafanaAnnotation(d.id))?.annotationId != null,
      'the annotation is created and its id kept',
    );
    const held = await first.store.getGrafanaAnnotation(d.id);
    expect(held).toMatchObject({ annotationId: 1, claimedBy: first.processId, endedAt: null });
    // A graceful stop hands the running deployment back; the next process takes it on.
    await first.stop();
    const second = await app();
    expect((await waitFinal(second, d.id)).state).toBe('succeeded');
    await second.grafana?.idle();
    await until(() => patches(grafana).length === 1, 'the end is written');
    const final = await second.store.getDeployment(d.id);
    expect(patches(grafana)[0]?.at).toBeGreaterThan(first.stopped() ?? Number.POSITIVE_INFINITY);
    expect(grafana.annotations()).toEqual([
      expect.objectContaining({
        id: 1,
        time: final?.startedAt?.getTime(),
        timeEnd: final?.finishedAt?.getTime(),
        tags: tagsOf(d, 'succeeded'),
      }),
    ]);
    expect(posts(grafana)).toHaveLength(1);
  });

  it('never holds a deployment up while Grafana is down, and a later process writes the end', async () => {
    const { grafana, app, logs } = await world({ ms: 200 });
    const first = await app({ maxAttempts: 2 });
    grafana.inject({ method: 'PATCH', status: 503, times: 2 });
    const d = await requestWeb(first, { version: '3.0.0' });
    const final = await waitFinal(first, d.id);
    expect(final.state).toBe('succeeded');
    await until(
      () => logs.some((l) => l.msg === 'could not annotate the deployment in Grafana'),
      'it gives up',
    );
    expect(grafana.unusedFaults()).toEqual([]);
    expect((await first.store.getGrafanaAnnotation(d.id))?.endedAt).toBeNull();
    expect(grafana.annotations()[0]?.tags).toEqual(tagsOf(d));
    expect(logs.filter((l) => l.component === 'grafana').map((l) => l.msg)).toEqual([
      'grafana annotation retrying',
      'could not annotate the deployment in Grafana',
    ]);
    await first.stop();
    // Its sweep at start finds the annotation still open and ends it.
    const second = await app();
    await ended(second, d.id);
    expect(grafana.annotations()[0]).toMatchObject({
      tags: tagsOf(d, 'succeeded'),
      timeEnd: final.finishedAt?.getTime(),
    });
    expect(await second.store.getGrafanaAnnotation(d.id)).toMatchObject({
      endedAt: expect.any(Date),
    });
  });

  it('adopts an annotation Grafana created before it failed to answer, instead of a second', async () => {
    const { grafana, app } = await world({ ms: 200 });
    grafana.inject({ method: 'POST', status: 500, processed: true });
    const slipway = await app();
    const d = await waitFinal(slipway, (await requestWeb(slipway, { version: '4.0.0' })).id);
    await ended(slipway, d.id);
    expect(grafana.unusedFaults()).toEqual([]);
    expect(grafana.annotations()).toEqual([
      expect.objectContaining({ id: 1, tags: tagsOf(d, 'succeeded') }),
    ]);
    expect(posts(grafana)).toHaveLength(1);
    const found = grafana.called('GET', /^\/api\/annotations$/)[0];
    expect(found?.query).toEqual({
      tags: ['slipway', `deployment:${d.id}`],
      type: ['annotation'],
      limit: ['1'],
    });
  });

  it('logs a refused token once, saying what to do, and deploys all the same', async () => {
    const { grafana, app, logs } = await world({ ms: 100 });
    const slipway = await app({ token: 'glsa_revoked' });
    const d = await waitFinal(slipway, (await requestWeb(slipway, { version: '5.0.0' })).id);
    expect(d.state).toBe('succeeded');
    const refusals = () =>
      logs.filter((l) => l.msg === 'could not annotate the deployment in Grafana');
    await until(() => refusals().length === 2, 'both refusals are logged');
    // A refusal is not retried: one call when it started, one more when it ended.
    expect(grafana.calls.map((c) => [c.method, c.status])).toEqual([
      ['POST', 401],
      ['GET', 401],
    ]);
    const errors = refusals();
    expect(errors[0]?.err?.message).toMatch(/GRAFANA_TOKEN is not a valid token/);
    expect(JSON.stringify(logs)).not.toContain('glsa_revoked');
  });
});
