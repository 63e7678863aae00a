import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ArgoCdDouble, startArgoCdDouble } from '../../../test/support/argocd-double.js';
import { argoWorld, deployAndWatch, IMAGE } from './test-support/fixtures.js';

let double: ArgoCdDouble;
let world: ReturnType<typeof argoWorld>;

beforeEach(async () => {
  double = await startArgoCdDouble();
  double.add({ name: 'web', image: IMAGE, version: '1.0.0' });
  world = argoWorld(double);
});
afterEach(() => double.close());

describe('argocd deploy and watch', () => {
  it('sets the image tag, syncs once with its tag, and waits for Synced and Healthy', async () => {
    const ctx = world.context();
    const { handle, outcome } = await deployAndWatch(world, ctx);

    const sha = double.app('web').status.sync.revision.slice(0, 7);
    expect(outcome).toEqual({
      ok: true,
      summary: `web at revision ${sha} (history 1), Synced and Healthy in staging: ${double.url}/applications/web`,
      link: { label: 'Argo CD', url: `${double.url}/applications/web` },
    });
    expect(handle).toMatchObject({ phase: 'deploy', tag: 'dep1/deploy', version: '1.1.0' });
    const [patch] = double.expectCalled('PATCH', /\/applications\/web$/, 1);
    expect(patch?.body).toMatchObject({ name: 'web', patchType: 'merge' });
    expect(JSON.parse(patch?.body.patch)).toEqual({
      spec: { source: { kustomize: { images: [`${IMAGE}:1.1.0`] } } },
    });
    const [sync] = double.expectCalled('POST', /\/sync$/, 1);
    expect(sync?.body).toEqual({
      name: 'web',
      revision: 'HEAD',
      prune: false,
      infos: [
        { name: 'slipway.dev/deployment', value: 'dep1/deploy' },
        { name: 'requested-by', value: 'U1 via Slipway' },
      ],
    });
    const live = double.app('web');
    expect(live.status.summary.images).toEqual([`${IMAGE}:1.1.0`]);
    expect(live.status.history).toHaveLength(2);
    expect(ctx.reported.some((t) => /^sync Running/.test(t))).toBe(true);
    expect(ctx.reported.some((t) => /Progressing.*not healthy yet: Deployment web/.test(t))).toBe(
      true,
    );
  });

  it('attaches after a restart instead of syncing again, in a new driver', async () => {
    const ctx = world.context();
    await world.driver().deploy(ctx);
    // Slipway died before storing the handle: the engine calls deploy again.
    const handle = await world.driver().deploy(ctx);
    const outcome = await world.driver().watch(world.context(), handle);

    expect(outcome.ok).toBe(true);
    double.expectCalled('POST', /\/sync$/, 1);
    double.expectCalled('PATCH', /\/applications\/web$/, 1);
    expect(double.app('web').status.history).toHaveLength(2);
  });

  it('does not sync a version that is already live and healthy', async () => {
    const { handle, outcome } = await deployAndWatch(
      world,
      world.context({}, { deployment: { version: '1.0.0' } }),
    );
    expect(handle).toMatchObject({ settled: true });
    expect(outcome).toMatchObject({ ok: true, summary: expect.stringMatching(/history 0/) });
    expect(double.callsTo('POST', /\/sync$/)).toEqual([]);
    expect(double.callsTo('PATCH', /./)).toEqual([]);
  });

  it("fails with Argo CD's message when the sync fails", async () => {
    double.behave('1.1.0', 'fail');
    const { outcome } = await deployAndWatch(world, world.context());
    expect(outcome).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /^the sync of web failed: one or more objects failed to apply, reason: Deployment.apps "web" is invalid/,
      ),
      changed: true,
    });
  });

  it('fails when the application turns Degraded after the sync', async () => {
    double.behave('1.1.0', 'degrade');
    const { outcome } = await deployAndWatch(world, world.context());
    expect(outcome).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /^web is Degraded after the sync: Synced at [0-9a-f]{7}, Degraded: Deployment "web" exceeded its progress deadline/,
      ),
      changed: true,
    });
  });

  it('retries 5xx, and recognises its own sync when an answer was lost', async () => {
    double.fail({ method: 'GET', path: /web$/, status: 503, times: 2 });
    double.fail({ method: 'POST', path: /sync$/, status: 502, afterHandling: true });
    const { outcome } = await deployAndWatch(world, world.context());

    expect(outcome.ok).toBe(true);
    const syncs = double.expectCalled('POST', /\/sync$/, 2);
    expect(syncs.map((c) => c.status)).toEqual([502, 400]);
    expect(double.app('web').status.history).toHaveLength(2);
    expect(
      double
        .callsTo('GET', /web$/)
        .slice(0, 3)
        .map((c) => c.status),
    ).toEqual([503, 503, 200]);
  });

  it('says how long it waited and what it saw when the deadline passes', async () => {
    await double.close();
    double = await startArgoCdDouble({ timing: { healthMs: 60_000 } });
    double.add({ name: 'web', image: IMAGE, version: '1.0.0' });
    world = argoWorld(double);
    const { outcome } = await deployAndWatch(world, world.context({ timeout: '600ms' }));
    expect(outcome).toEqual({
      ok: false,
      reason: expect.stringMatching(/^web not Synced and Healthy within 600ms: .*Progressing/),
      changed: true,
    });
  });

  it('follows by polling when the event stream is refused', async () => {
    double.setStream('refuse');
    const { outcome } = await deployAndWatch(world, world.context());
    expect(outcome.ok).toBe(true);
    expect(double.expectCalled('GET', /\/stream\/applications$/, 1)[0]?.status).toBe(503);
    expect(double.callsTo('GET', /\/applications\/web$/).length).toBeGreaterThan(3);
  });

  it('follows by polling when the event stream is cut', async () => {
    double.setStream('drop');
    const { outcome } = await deployAndWatch(world, world.context());
    expect(outcome.ok).toBe(true);
    double.expectCalled('GET', /\/stream\/applications$/, 1);
  });

  it('uses the event stream when it works', async () => {
    const { outcome } = await deployAndWatch(world, world.context({ pollInterval: '10s' }));
    expect(outcome.ok).toBe(true);
    const [stream] = double.expectCalled('GET', /\/stream\/applications$/, 1);
    expect(stream?.query).toEqual({ name: 'web' });
  });

  it('waits out an operation someone else started, then syncs', async () => {
    await fetch(`${double.url}/api/v1/applications/web/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${double.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'web' }),
    });
    const ctx = world.context();
    const { outcome } = await deployAndWatch(world, ctx);
    expect(outcome.ok).toBe(true);
    const statuses = double.callsTo('POST', /\/sync$/).map((c) => c.status);
    expect(statuses[0]).toBe(200);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses).toContain(400);
    expect(ctx.reported.some((t) => t.startsWith('waiting for another operation on web'))).toBe(
      true,
    );
  });

  it('leaves a sync to automated sync when it is on', async () => {
    double.setAutomated('web', true);
    const { outcome } = await deployAndWatch(world, world.context());
    expect(outcome.ok).toBe(true);
    expect(double.app('web').status.summary.images).toEqual([`${IMAGE}:1.1.0`]);
  });

  it('sets a Helm parameter as a string', async () => {
    double.add({
      name: 'api',
      image: 'registry.test/api',
      helmParameter: 'image.tag',
      version: '1.0',
    });
    const ctx = world.context(
      { application: 'api', kustomize: undefined, helm: { parameter: 'image.tag' } },
      { deployment: { version: '1.10' }, image: 'registry.test/api' },
    );
    const { outcome } = await deployAndWatch(world, ctx);
    expect(outcome.ok).toBe(true);
    expect(double.app('api').spec.source.helm.parameters).toEqual([
      { name: 'image.tag', value: '1.10', forceString: true },
    ]);
    expect(await world.driver().status?.(ctx)).toMatchObject({ version: '1.10', healthy: true });
  });

  it('stops its own operation when cancelled', async () => {
    await double.close();
    double = await startArgoCdDouble({ timing: { syncMs: 60_000 } });
    double.add({ name: 'web', image: IMAGE, version: '1.0.0' });
    world = argoWorld(double);
    const ctx = world.context();
    const driver = world.driver();
    const handle = await driver.deploy(ctx);
    while (double.app('web').status.operationState?.phase !== 'Running') {
      await new Promise((r) => setTimeout(r, 10));
    }
    await driver.cancel?.(ctx, handle);
    expect(await driver.watch(ctx, handle)).toMatchObject({
      ok: false,
      reason: 'the sync of web failed: Operation terminated',
    });
    double.expectCalled('DELETE', /\/operation$/, 1);
  });
});

describe('argocd status', () => {
  it('reads the live version from the images and is healthy only Synced and Healthy', async () => {
    const driver = world.driver();
    const ctx = world.context();
    expect(await driver.status?.(ctx)).toEqual({
      version: '1.0.0',
      healthy: true,
      detail: expect.stringMatching(/^Synced at [0-9a-f]{7}, Healthy$/),
    });
    await driver.deploy(ctx);
    const during = await driver.status?.(ctx);
    expect(during?.healthy).toBe(false);
    expect(during?.detail).toMatch(/^OutOfSync/);
  });
});
