import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ArgoCdDouble, startArgoCdDouble } from '../../../test/support/argocd-double.js';
import { PINNED_ANNOTATION, PINNED_NOTE, RESUMED_NOTE } from './auto-sync.js';
import { argoWorld, deployAndWatch, IMAGE } from './test-support/fixtures.js';

let double: ArgoCdDouble;
let world: ReturnType<typeof argoWorld>;

beforeEach(async () => {
  double = await startArgoCdDouble();
  double.add({ name: 'web', image: IMAGE, version: '1.0.0' });
  world = argoWorld(double);
});
afterEach(() => double.close());

/** Deploys `versions` one after the other; history then holds 0 (1.0.0), 1, 2, … */
async function deployed(...versions: string[]) {
  for (const [i, version] of versions.entries()) {
    const ctx = world.context({}, { deployment: { id: `dep-${i}`, version } });
    const { outcome } = await deployAndWatch(world, ctx);
    if (!outcome.ok && !/Degraded|failed/.test(outcome.reason)) throw new Error(outcome.reason);
  }
}

function rollbackContext(version: string, kind: 'deploy' | 'rollback' = 'rollback') {
  return world.context({}, { deployment: { id: 'rb1', kind, version } });
}

describe('argocd rollback', () => {
  it('rolls back to the entry that ran the version and names it in the override again', async () => {
    await deployed('1.1.0', '1.2.0');
    const ctx = rollbackContext('1.0.0');
    const driver = world.driver();
    const handle = await driver.rollback?.(ctx, '1.0.0');
    const outcome = await driver.watch(ctx, handle ?? {});

    expect(outcome).toEqual({
      ok: true,
      summary: `web rolled back to history 0 (1.0.0) in staging, Healthy: ${double.url}/applications/web`,
      link: { label: 'Argo CD', url: `${double.url}/applications/web` },
    });
    const [call] = double.expectCalled('POST', /\/rollback$/, 1);
    expect(call?.body).toEqual({ name: 'web', id: 0, prune: false });
    const live = double.app('web');
    expect(live.status.summary.images).toEqual([`${IMAGE}:1.0.0`]);
    expect(live.spec.source.kustomize.images).toEqual([`${IMAGE}:1.0.0`]);
    expect(live.status.sync.status).toBe('Synced');
    expect(await driver.status?.(ctx)).toMatchObject({ version: '1.0.0', healthy: true });
  });

  it('goes to the previous entry when no version is known, even from a Degraded state', async () => {
    double.behave('1.1.0', 'degrade');
    await deployed('1.1.0');
    // An automatic rollback after a first deploy Slipway has no record before.
    const ctx = rollbackContext('1.1.0', 'deploy');
    const driver = world.driver();
    const handle = await driver.rollback?.(ctx, null);
    expect(await driver.watch(ctx, handle ?? {})).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/rolled back to the previous entry, history 0 \(1\.0\.0\)/),
    });
    expect(double.expectCalled('POST', /\/rollback$/, 1)[0]?.body.id).toBe(0);
    expect(double.app('web').status.health.status).toBe('Healthy');
  });

  it('re-installs the last good entry when the failed sync never reached the history', async () => {
    double.behave('1.2.0', 'fail');
    await deployed('1.1.0', '1.2.0');
    const ctx = rollbackContext('1.2.0', 'deploy');
    const handle = await world.driver().rollback?.(ctx, null);
    expect(handle).toMatchObject({ how: 'the previous entry, history 1 (1.1.0)' });
    expect(await world.driver().watch(ctx, handle ?? {})).toMatchObject({ ok: true });
  });

  it('says so when the requested version is no longer in the history', async () => {
    await deployed('1.1.0');
    const handle = await world.driver().rollback?.(rollbackContext('0.9.0'), '0.9.0');
    expect(handle).toMatchObject({
      how: '0.9.0 is no longer in the history; the previous entry, history 0 (1.0.0)',
    });
  });

  it('attaches after a restart instead of rolling back twice', async () => {
    await deployed('1.1.0');
    const ctx = rollbackContext('1.0.0');
    await world.driver().rollback?.(ctx, '1.0.0');
    const handle = await world.driver().rollback?.(ctx, '1.0.0');
    expect(await world.driver().watch(ctx, handle ?? {})).toMatchObject({ ok: true });
    double.expectCalled('POST', /\/rollback$/, 1);
  });

  it('does nothing when the entry is already live', async () => {
    await deployed('1.1.0');
    const first = rollbackContext('1.0.0');
    await world.driver().watch(first, (await world.driver().rollback?.(first, '1.0.0')) ?? {});
    const again = world.context(
      {},
      { deployment: { id: 'rb2', kind: 'rollback', version: '1.0.0' } },
    );
    const handle = await world.driver().rollback?.(again, '1.0.0');
    expect(handle).toMatchObject({ settled: true, how: expect.stringMatching(/already live$/) });
    expect(await world.driver().watch(again, handle ?? {})).toMatchObject({ ok: true });
    double.expectCalled('POST', /\/rollback$/, 1);
  });

  it('has nothing to roll back to with a history of one', async () => {
    await expect(
      world.driver().rollback?.(rollbackContext('1.0.0', 'deploy'), null),
    ).rejects.toThrow(
      'web has no earlier entry in its Argo CD history to roll back to: deploy the version you want instead.',
    );
  });
});

describe('argocd rollback under automated sync', () => {
  const POLICY = { prune: true, selfHeal: true };

  /** The merge patches the driver sent, parsed, in order. */
  function patches(): Record<string, unknown>[] {
    return double.callsTo('PATCH', /\/applications\/web$/).map((c) => JSON.parse(c.body.patch));
  }

  async function rollBack(id: string, version: string) {
    const ctx = world.context({}, { deployment: { id, kind: 'rollback', version } });
    const driver = world.driver();
    const handle = await driver.rollback?.(ctx, version);
    return driver.watch(ctx, handle ?? {});
  }

  async function deploy(id: string, version: string) {
    const ctx = world.context({}, { deployment: { id, version } });
    return (await deployAndWatch(world, ctx)).outcome;
  }

  it('turns it off first, remembers it on the application, and says so on the card', async () => {
    await deployed('1.1.0');
    double.setAutomated('web', true, POLICY);
    const outcome = await rollBack('rb1', '1.0.0');

    expect(outcome).toMatchObject({ ok: true, note: PINNED_NOTE });
    expect(PINNED_NOTE).toBe(
      'auto-sync is off: Argo CD keeps the rollback until the next good deployment',
    );
    const app = double.app('web');
    expect(app.spec.syncPolicy.automated).toBeUndefined();
    expect(JSON.parse(app.metadata.annotations[PINNED_ANNOTATION])).toEqual(POLICY);
    expect(app.status.summary.images).toEqual([`${IMAGE}:1.0.0`]);
    expect(patches()[1]).toEqual({
      metadata: { annotations: { [PINNED_ANNOTATION]: JSON.stringify(POLICY) } },
      spec: { syncPolicy: { automated: null } },
    });
    // Off before the rollback was asked for, which Argo CD would refuse otherwise.
    const order = double.calls.map((c) => `${c.method} ${c.path}`);
    const off = double.calls.findIndex(
      (c) => c.method === 'PATCH' && /syncPolicy/.test(c.body.patch),
    );
    expect(off).toBeGreaterThan(-1);
    expect(order.indexOf('POST /api/v1/applications/web/rollback')).toBeGreaterThan(off);
    expect(double.callsTo('POST', /\/rollback$/).map((c) => c.status)).toEqual([200]);
  });

  it('stays pinned through a second rollback, and the next good deploy turns it back on as it was', async () => {
    await deployed('1.1.0', '1.2.0');
    double.setAutomated('web', true, POLICY);
    expect(await rollBack('rb1', '1.1.0')).toMatchObject({ note: PINNED_NOTE });
    expect(await rollBack('rb2', '1.0.0')).toMatchObject({ note: PINNED_NOTE });
    // Turned off once: the second rollback found it off, pinned by Slipway.
    expect(patches().filter((p) => JSON.stringify(p).includes('syncPolicy'))).toHaveLength(1);

    const good = await deploy('d-next', '1.3.0');
    expect(good).toMatchObject({ ok: true, note: RESUMED_NOTE });
    const app = double.app('web');
    expect(app.spec.syncPolicy.automated).toEqual(POLICY);
    expect(app.metadata.annotations).toBeUndefined();
    expect(app.status.summary.images).toEqual([`${IMAGE}:1.3.0`]);
    expect(patches().at(-1)).toEqual({
      metadata: { annotations: { [PINNED_ANNOTATION]: null } },
      spec: { syncPolicy: { automated: POLICY } },
    });
    // The deploy after that has nothing to turn back on.
    expect(await deploy('d-later', '1.4.0')).not.toHaveProperty('note');
    expect(double.app('web').spec.syncPolicy.automated).toEqual(POLICY);
  });

  it('leaves alone an application whose auto-sync was off, or disabled with enabled: false', async () => {
    await deployed('1.1.0');
    expect(await rollBack('rb1', '1.0.0')).not.toHaveProperty('note');
    double.setAutomated('web', true, { enabled: false, prune: true });
    expect(await rollBack('rb2', '1.1.0')).not.toHaveProperty('note');
    expect(patches().some((p) => JSON.stringify(p).includes('syncPolicy'))).toBe(false);
    expect(await deploy('d-next', '1.2.0')).not.toHaveProperty('note');
    expect(double.app('web').spec.syncPolicy.automated).toEqual({ enabled: false, prune: true });
  });

  it('does not turn it back on over someone who turned it on meanwhile, and forgets the pin', async () => {
    await deployed('1.1.0');
    double.setAutomated('web', true, POLICY);
    await rollBack('rb1', '1.0.0');
    double.setAutomated('web', true, { prune: false, selfHeal: false });
    expect(await deploy('d-next', '1.2.0')).toMatchObject({ ok: true, note: RESUMED_NOTE });
    const app = double.app('web');
    expect(app.spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: false });
    expect(app.metadata.annotations).toBeUndefined();
  });

  it('keeps a good deploy good when auto-sync cannot be turned back on, and says what to do', async () => {
    await deployed('1.1.0');
    double.setAutomated('web', true, POLICY);
    await rollBack('rb1', '1.0.0');
    // 1.0.0 is live and synced: the deploy changes nothing, then the patch fails every try.
    double.fail({ method: 'PATCH', status: 503, times: 4 });
    const outcome = await deploy('d-same', '1.0.0');
    expect(outcome).toMatchObject({
      ok: true,
      note: expect.stringMatching(
        /^auto-sync is still off: Slipway could not turn it back on \(.*503.*\); turn it on in Argo CD$/,
      ),
    });
    expect(double.app('web').spec.syncPolicy.automated).toBeUndefined();
  });
});
