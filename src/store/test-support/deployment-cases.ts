import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../core/errors.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function deploymentCases(ctx: SuiteContext): void {
  describe('createDeployment', () => {
    it('stores every field and round-trips times to the millisecond', async () => {
      const at = timeline();
      const input = newDeployment({
        previousVersion: '0.9.0',
        kind: 'rollback',
        source: 'api',
        channel: null,
        reason: 'hotfix for INC-42',
        idempotencyKey: 'key-1',
        freezeOverride: true,
        approvalsRequired: 2,
        traceParent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      });
      const { deployment, created } = await ctx
        .store()
        .createDeployment(input, 'requested', { actor: 'U-DEV1', reason: 'asked', at: at(0) });
      expect(created).toBe(true);
      const expected = {
        ...input,
        state: 'requested',
        driverRef: null,
        progress: null,
        outcome: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        createdAt: at(0),
        updatedAt: at(0),
        startedAt: null,
        finishedAt: null,
      };
      expect(deployment).toEqual(expected);
      expect(await ctx.store().getDeployment(input.id)).toEqual(expected);
      expect(await ctx.store().listTransitions(input.id)).toEqual([
        {
          deploymentId: input.id,
          seq: 1,
          from: null,
          to: 'requested',
          actor: 'U-DEV1',
          at: at(0),
          reason: 'asked',
          correlationId: input.correlationId,
        },
      ]);
    });

    it('returns the existing deployment for a used idempotency key and inserts nothing', async () => {
      const store = ctx.store();
      const first = await store.createDeployment(
        newDeployment({ idempotencyKey: 'slack-click-1' }),
        'requested',
        { actor: 'U-DEV1' },
      );
      const again = await store.createDeployment(
        newDeployment({ idempotencyKey: 'slack-click-1', version: '2.0.0' }),
        'queued',
        { actor: 'U-DEV2' },
      );
      expect(again.created).toBe(false);
      expect(again.deployment).toEqual(first.deployment);
      expect(await store.findByIdempotencyKey('slack-click-1')).toEqual(first.deployment);
      expect(await store.listDeployments()).toHaveLength(1);
      expect(await store.listTransitions(first.deployment.id)).toHaveLength(1);
    });

    it('creates exactly one deployment when the same key arrives concurrently', async () => {
      const stores = await ctx.peers(4);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          stores[i % stores.length]?.createDeployment(
            newDeployment({ idempotencyKey: 'double-click' }),
            'requested',
            { actor: `U-${i}` },
          ),
        ),
      );
      expect(results.filter((r) => r?.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r?.deployment.id)).size).toBe(1);
      expect(await ctx.store().listDeployments()).toHaveLength(1);
    });

    it('allows any number of deployments without a key', async () => {
      const store = ctx.store();
      await store.createDeployment(newDeployment(), 'requested', { actor: 'a' });
      await store.createDeployment(newDeployment(), 'requested', { actor: 'a' });
      expect(await store.listDeployments()).toHaveLength(2);
    });

    it('refuses a second deployment with the same id', async () => {
      const store = ctx.store();
      const input = newDeployment();
      await store.createDeployment(input, 'requested', { actor: 'a' });
      await expect(
        store.createDeployment({ ...input, version: '2.0.0' }, 'requested', { actor: 'a' }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await store.getDeployment(input.id))?.version).toBe('1.0.0');
    });

    it('answers null for unknown ids and keys', async () => {
      expect(await ctx.store().getDeployment('nope')).toBeNull();
      expect(await ctx.store().findByIdempotencyKey('nope')).toBeNull();
    });
  });

  describe('transition', () => {
    it('moves the state, applies the patch and appends a transition', async () => {
      const store = ctx.store();
      const at = timeline();
      const { deployment } = await store.createDeployment(newDeployment(), 'queued', {
        actor: 'U-DEV1',
        at: at(0),
      });
      const moved = await store.transition(
        deployment.id,
        ['queued'],
        'running',
        { actor: 'slipway', reason: 'worker picked it', at: at(5) },
        {
          driverRef: { runId: 42, steps: ['build', 'push'], nested: { ok: true } },
          progress: 'starting',
          previousVersion: '0.9.0',
          leaseOwner: 'proc-1',
          leaseExpiresAt: at(60_000),
          startedAt: at(5),
        },
      );
      expect(moved).toMatchObject({
        state: 'running',
        driverRef: { runId: 42, steps: ['build', 'push'], nested: { ok: true } },
        progress: 'starting',
        previousVersion: '0.9.0',
        leaseOwner: 'proc-1',
        leaseExpiresAt: at(60_000),
        startedAt: at(5),
        updatedAt: at(5),
        finishedAt: null,
      });
      expect(await store.getDeployment(deployment.id)).toEqual(moved);
      const history = await store.listTransitions(deployment.id);
      expect(history[1]).toEqual({
        deploymentId: deployment.id,
        seq: 2,
        from: 'queued',
        to: 'running',
        actor: 'slipway',
        at: at(5),
        reason: 'worker picked it',
        correlationId: deployment.correlationId,
      });
    });

    it('refuses a stale from-state and changes nothing', async () => {
      const store = ctx.store();
      const { deployment } = await store.createDeployment(newDeployment(), 'requested', {
        actor: 'a',
      });
      expect(
        await store.transition(deployment.id, ['requested'], 'queued', { actor: 'a' }),
      ).not.toBeNull();
      const stale = await store.transition(
        deployment.id,
        ['requested', 'awaiting_approval'],
        'cancelled',
        { actor: 'b' },
        { outcome: 'should not be written' },
      );
      expect(stale).toBeNull();
      const now = await store.getDeployment(deployment.id);
      expect(now?.state).toBe('queued');
      expect(now?.outcome).toBeNull();
      expect(await store.listTransitions(deployment.id)).toHaveLength(2);
      expect(await store.transition(deployment.id, [], 'cancelled', { actor: 'b' })).toBeNull();
      expect(await store.transition('missing', ['queued'], 'cancelled', { actor: 'b' })).toBeNull();
    });

    it('lets exactly one of many concurrent compare-and-sets win', async () => {
      const stores = await ctx.peers(3);
      const { deployment } = await ctx
        .store()
        .createDeployment(newDeployment(), 'awaiting_approval', { actor: 'a' });
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          stores[i % stores.length]?.transition(
            deployment.id,
            ['awaiting_approval'],
            i % 2 === 0 ? 'queued' : 'cancelled',
            { actor: `U-${i}` },
          ),
        ),
      );
      const winners = results.filter((r) => r);
      expect(winners).toHaveLength(1);
      const history = await ctx.store().listTransitions(deployment.id);
      expect(history.map((t) => t.seq)).toEqual([1, 2]);
      expect(history[1]?.to).toBe(winners[0]?.state);
    });

    it('keeps the history in order with each from matching the previous to', async () => {
      const store = ctx.store();
      const at = timeline();
      const { deployment } = await store.createDeployment(newDeployment(), 'requested', {
        actor: 'a',
        at: at(0),
      });
      const path = ['awaiting_approval', 'queued', 'running', 'verifying', 'succeeded'] as const;
      let from: (typeof path)[number] | 'requested' = 'requested';
      for (const [i, to] of path.entries()) {
        expect(
          await store.transition(deployment.id, [from], to, { actor: 'a', at: at(i + 1) }),
        ).not.toBeNull();
        from = to;
      }
      const history = await store.listTransitions(deployment.id);
      expect(history.map((t) => [t.seq, t.from, t.to])).toEqual([
        [1, null, 'requested'],
        [2, 'requested', 'awaiting_approval'],
        [3, 'awaiting_approval', 'queued'],
        [4, 'queued', 'running'],
        [5, 'running', 'verifying'],
        [6, 'verifying', 'succeeded'],
      ]);
      expect(history.map((t) => t.at)).toEqual([0, 1, 2, 3, 4, 5].map(at));
    });

    it('stamps finishedAt on a final state unless the patch says otherwise', async () => {
      const store = ctx.store();
      const at = timeline();
      const a = await store.createDeployment(newDeployment(), 'queued', { actor: 'a' });
      const b = await store.createDeployment(newDeployment(), 'queued', { actor: 'a' });
      const cancelled = await store.transition(a.deployment.id, ['queued'], 'cancelled', {
        actor: 'a',
        at: at(7),
      });
      expect(cancelled?.finishedAt).toEqual(at(7));
      const superseded = await store.transition(
        b.deployment.id,
        ['queued'],
        'superseded',
        { actor: 'a', at: at(7) },
        { finishedAt: at(3) },
      );
      expect(superseded?.finishedAt).toEqual(at(3));
    });

    it('refuses a second active deployment on a target, whoever asks', async () => {
      const store = ctx.store();
      const one = await store.createDeployment(newDeployment(), 'queued', { actor: 'a' });
      const two = await store.createDeployment(newDeployment(), 'queued', { actor: 'a' });
      const elsewhere = await store.createDeployment(
        newDeployment({ environment: 'prod' }),
        'queued',
        {
          actor: 'a',
        },
      );
      expect(
        await store.transition(one.deployment.id, ['queued'], 'running', { actor: 'a' }),
      ).not.toBeNull();
      await expect(
        store.transition(two.deployment.id, ['queued'], 'running', { actor: 'a' }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await store.getDeployment(two.deployment.id))?.state).toBe('queued');
      expect(await store.listTransitions(two.deployment.id)).toHaveLength(1);
      expect(
        await store.transition(elsewhere.deployment.id, ['queued'], 'running', { actor: 'a' }),
      ).not.toBeNull();
    });
  });

  describe('patchDeployment', () => {
    it('updates the given fields without a transition', async () => {
      const store = ctx.store();
      const at = timeline();
      const { deployment } = await store.createDeployment(newDeployment(), 'queued', {
        actor: 'a',
        at: at(-60_000),
      });
      await store.patchDeployment(deployment.id, {
        progress: 'ready 2 of 3',
        driverRef: { pid: 7 },
      });
      await store.patchDeployment(deployment.id, {});
      const patched = await store.getDeployment(deployment.id);
      expect(patched).toMatchObject({
        progress: 'ready 2 of 3',
        driverRef: { pid: 7 },
        outcome: null,
      });
      expect(patched?.updatedAt.getTime()).toBeGreaterThan(at(-60_000).getTime());
      await store.patchDeployment(deployment.id, { driverRef: null, progress: null });
      expect(await store.getDeployment(deployment.id)).toMatchObject({
        progress: null,
        driverRef: null,
      });
      expect(await store.listTransitions(deployment.id)).toHaveLength(1);
    });
  });
}
