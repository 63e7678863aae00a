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

  it('refuses under automated sync with what to do instead', async () => {
    await deployed('1.1.0');
    double.setAutomated('web', true);
    await expect(world.driver().rollback?.(rollbackContext('1.0.0'), '1.0.0')).rejects.toThrow(
      'Argo CD refuses to roll back web while automated sync is on: disable automated sync on web (spec.syncPolicy.automated) and roll back again, or roll forward by deploying the previous version.',
    );
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
