import { describe, expect, it } from 'vitest';
import { ACTIVE_STATES, type Deployment } from '../../core/deployment.js';
import type { Store } from '../types.js';
import { newDeployment, queue, type SuiteContext, sleep, timeline } from './fixtures.js';

const LEASE_MS = 30_000;

export function queueCases(ctx: SuiteContext): void {
  describe('claimNextQueued', () => {
    it('claims the oldest queued deployment whose target is free, with a lease', async () => {
      const store = ctx.store();
      const at = timeline();
      const [webOld, webNew] = await queue(
        store,
        at,
        { service: 'web', environment: 'staging' },
        2,
        10,
      );
      const [api] = await queue(store, at, { service: 'api', environment: 'staging' }, 1, 0, 5);
      await store.createDeployment(newDeployment({ service: 'db' }), 'awaiting_approval', {
        actor: 'a',
        at: at(-100),
      });

      const first = await store.claimNextQueued('proc-1', LEASE_MS, {
        actor: 'slipway',
        reason: 'started by proc-1',
        at: at(1000),
      });
      expect(first).toMatchObject({
        id: webOld?.id,
        state: 'running',
        leaseOwner: 'proc-1',
        leaseExpiresAt: at(1000 + LEASE_MS),
        startedAt: at(1000),
        updatedAt: at(1000),
      });
      const history = await store.listTransitions(webOld?.id ?? '');
      expect(history.at(-1)).toMatchObject({
        seq: 2,
        from: 'queued',
        to: 'running',
        actor: 'slipway',
        reason: 'started by proc-1',
        at: at(1000),
      });
      // web/staging is busy now, so the newer web deployment waits behind api.
      const second = await store.claimNextQueued('proc-2', LEASE_MS, { actor: 'slipway' });
      expect(second?.id).toBe(api?.id);
      expect(await store.claimNextQueued('proc-2', LEASE_MS, { actor: 'slipway' })).toBeNull();

      await store.transition(webOld?.id ?? '', ['running'], 'succeeded', { actor: 'slipway' });
      const third = await store.claimNextQueued('proc-2', LEASE_MS, { actor: 'slipway' });
      expect(third?.id).toBe(webNew?.id);
      expect(await store.claimNextQueued('proc-2', LEASE_MS, { actor: 'slipway' })).toBeNull();
    });

    it('breaks ties in creation time by id', async () => {
      const store = ctx.store();
      const at = timeline();
      for (const id of ['dep-c', 'dep-a', 'dep-b']) {
        await store.createDeployment(newDeployment({ id, service: id }), 'queued', {
          actor: 'a',
          at: at(0),
        });
      }
      const claimed = [];
      for (let i = 0; i < 3; i++) {
        claimed.push((await store.claimNextQueued('p', LEASE_MS, { actor: 'a' }))?.id);
      }
      expect(claimed).toEqual(['dep-a', 'dep-b', 'dep-c']);
    });

    it('never lets two concurrent claimers activate the same target', async () => {
      const stores = await ctx.peers(4);
      const at = timeline();
      const targets = ['web', 'api', 'db', 'auth'].flatMap((service) =>
        ['staging', 'production'].map((environment) => ({ service, environment })),
      );
      const perTarget = 4;
      const created: Deployment[] = [];
      // Target by target, so the oldest queued rows mostly belong to a busy target: a claimer
      // that ignored busy targets would activate them at once.
      for (const [i, target] of targets.entries()) {
        created.push(...(await queue(ctx.store(), at, target, perTarget, 1, i * perTarget)));
      }
      const run = await claimUntilDrained(stores, created.length);
      expect(run.violations).toEqual([]);
      expect(run.errors).toEqual([]);
      expect([...run.claimed].sort()).toEqual(created.map((d) => d.id).sort());
      // Within a target the queue is first in, first out.
      for (const target of targets) {
        const key = `${target.service}/${target.environment}`;
        const order = created.filter((d) => `${d.service}/${d.environment}` === key);
        expect(run.claimed.filter((id) => order.some((d) => d.id === id))).toEqual(
          order.map((d) => d.id),
        );
      }
      for (const d of created) {
        const history = await ctx.store().listTransitions(d.id);
        expect(history.map((t) => t.to)).toEqual(['queued', 'running', 'succeeded']);
      }
    });
  });

  describe('leases', () => {
    async function twoRunning(store: Store) {
      const at = timeline();
      await queue(store, at, { service: 'web', environment: 'staging' }, 1);
      await queue(store, at, { service: 'api', environment: 'staging' }, 1, 0, 1);
      const web = await store.claimNextQueued('proc-1', LEASE_MS, { actor: 'a', at: at(10) });
      const api = await store.claimNextQueued('proc-1', LEASE_MS, { actor: 'a', at: at(10) });
      if (!web || !api) throw new Error('setup: expected two claims');
      return { at, web, api };
    }

    it('writes for a holder only while it holds the lease, so a process that lost it writes nothing', async () => {
      const store = ctx.store();
      const at = timeline();
      await queue(store, at, { service: 'web', environment: 'staging' }, 1, 0);
      const claimed = await store.claimNextQueued('proc-1', LEASE_MS, {
        actor: 'slipway',
        at: at(10),
      });
      if (!claimed) throw new Error('setup: expected a claim');
      const step = (n: number) => ({ driverRef: { canary: { step: n } } });
      expect(await store.patchDeployment(claimed.id, step(1), { holder: 'proc-1' })).toBe(true);
      expect(await store.patchDeployment(claimed.id, step(9), { holder: 'proc-2' })).toBe(false);
      const moved = await store.transition(
        claimed.id,
        ['running'],
        'running',
        { actor: 'slipway', reason: 'step 2', holder: 'proc-2' },
        step(2),
      );
      expect(moved).toBeNull();
      expect((await store.getDeployment(claimed.id))?.driverRef).toEqual(step(1).driverRef);
      expect((await store.listTransitions(claimed.id)).map((t) => t.reason)).not.toContain(
        'step 2',
      );
      const held = await store.transition(
        claimed.id,
        ['running'],
        'running',
        { actor: 'slipway', reason: 'step 2', holder: 'proc-1' },
        step(2),
      );
      expect(held?.driverRef).toEqual(step(2).driverRef);
    });

    it('renews only active deployments the owner still holds', async () => {
      const store = ctx.store();
      const { web, api } = await twoRunning(store);
      await store.transition(api.id, ['running'], 'failed', { actor: 'a' });
      const before = Date.now();
      expect(await store.renewLeases('proc-1', [web.id, api.id, 'unknown'], 60_000)).toEqual([
        web.id,
      ]);
      const renewed = await store.getDeployment(web.id);
      expect(renewed?.leaseExpiresAt?.getTime()).toBeGreaterThanOrEqual(before + 60_000);
      expect(await store.renewLeases('proc-2', [web.id], 60_000)).toEqual([]);
      expect(await store.renewLeases('proc-1', [], 60_000)).toEqual([]);
    });

    it('lets another process take over expired leases, once', async () => {
      const store = ctx.store();
      const { at, web, api } = await twoRunning(store);
      // A queued and a finished deployment with old leases must be left alone.
      await queue(store, at, { service: 'web', environment: 'production' }, 1);
      await store.transition(api.id, ['running'], 'succeeded', { actor: 'a' });

      expect(await store.takeExpiredLeases('proc-2', LEASE_MS, at(LEASE_MS))).toEqual([]);
      const later = at(LEASE_MS + 11);
      const taken = await store.takeExpiredLeases('proc-2', LEASE_MS, later);
      expect(taken.map((d) => [d.id, d.leaseOwner, d.leaseExpiresAt])).toEqual([
        [web.id, 'proc-2', new Date(later.getTime() + LEASE_MS)],
      ]);
      expect(taken[0]?.state).toBe('running');
      expect(await store.takeExpiredLeases('proc-3', LEASE_MS, later)).toEqual([]);
      // The old owner finds out on its next renewal.
      expect(await store.renewLeases('proc-1', [web.id], LEASE_MS)).toEqual([]);
    });

    it('hands each expired deployment to exactly one of several concurrent takers', async () => {
      const stores = await ctx.peers(3);
      const store = ctx.store();
      const at = timeline();
      for (const service of ['a', 'b', 'c', 'd', 'e', 'f']) {
        await queue(store, at, { service, environment: 'staging' }, 1);
        await store.claimNextQueued('dead-proc', LEASE_MS, { actor: 'a', at: at(0) });
      }
      const later = at(LEASE_MS + 1);
      const results = await Promise.all(
        stores.map((s, i) => s.takeExpiredLeases(`proc-${i}`, LEASE_MS, later)),
      );
      const ids = results.flat().map((d) => d.id);
      expect(ids).toHaveLength(6);
      expect(new Set(ids).size).toBe(6);
    });

    it('releases leases so another process may take over at once', async () => {
      const store = ctx.store();
      const { web, api } = await twoRunning(store);
      await store.releaseLeases('proc-other');
      expect((await store.getDeployment(web.id))?.leaseOwner).toBe('proc-1');
      await store.releaseLeases('proc-1');
      expect(await store.getDeployment(web.id)).toMatchObject({
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      const taken = await store.takeExpiredLeases('proc-2', LEASE_MS);
      expect(taken.map((d) => d.id).sort()).toEqual([web.id, api.id].sort());
    });
  });
}

/**
 * Workers on every store claim, hold briefly and finish until `total` deployments are done,
 * while an observer reads the active set. A claim that lands on a busy target is recorded.
 */
async function claimUntilDrained(stores: Store[], total: number) {
  const holders = new Map<string, string>();
  const violations: string[] = [];
  const errors: string[] = [];
  const claimed: string[] = [];
  let finished = 0;

  async function worker(store: Store, name: string) {
    while (finished < total && errors.length === 0) {
      let d: Deployment | null;
      try {
        d = await store.claimNextQueued(name, LEASE_MS, { actor: name });
      } catch (err) {
        errors.push(`${name} claim: ${String(err)}`);
        return;
      }
      if (!d) {
        await sleep(1 + Math.random() * 3);
        continue;
      }
      const key = `${d.service}/${d.environment}`;
      const holder = holders.get(key);
      if (holder) violations.push(`${d.id} claimed on ${key} while ${holder} was active`);
      holders.set(key, d.id);
      claimed.push(d.id);
      await sleep(5 + Math.random() * 10);
      // Forget the holder before finishing: once the row is final another claim may follow
      // at any moment, and it must not be mistaken for an overlap.
      holders.delete(key);
      const done = await store.transition(d.id, ['running'], 'succeeded', { actor: name });
      if (!done) errors.push(`${name} could not finish ${d.id}`);
      finished++;
    }
  }

  async function observer(store: Store) {
    while (finished < total && errors.length === 0) {
      const active = await store.listDeployments({ states: [...ACTIVE_STATES], limit: 500 });
      const keys = active.map((d) => `${d.service}/${d.environment}`);
      if (new Set(keys).size !== keys.length) violations.push(`observer saw ${keys.join(', ')}`);
      await sleep(2);
    }
  }

  const workers = stores.flatMap((store, s) =>
    [0, 1, 2].map((w) => worker(store, `proc-${s}-${w}`)),
  );
  await Promise.all([...workers, observer(stores[0] as Store)]);
  return { violations, errors, claimed };
}
