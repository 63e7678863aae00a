import { describe, expect, it } from 'vitest';
import type { AcceptSteps, Store } from '../types.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

const PENDING = ['requested', 'awaiting_approval', 'queued'] as const;

function steps(at: Date, outcome = 'superseded by a newer request'): AcceptSteps {
  return {
    requested: { actor: 'U-DEV1', reason: 'asked', at },
    next: { to: 'queued', meta: { actor: 'slipway', reason: null } },
    supersede: { from: PENDING, meta: { actor: 'slipway', reason: outcome }, outcome },
  };
}

async function states(store: Store, ids: string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await store.getDeployment(id))?.state ?? 'missing'));
}

export function acceptCases(ctx: SuiteContext): void {
  describe('acceptDeployment', () => {
    it('records a request queued, with both transitions, and supersedes the older ones waiting on its target only', async () => {
      const store = ctx.store();
      const at = timeline();
      const older = newDeployment({ id: 'dep-a-older' });
      await store.createDeployment(older, 'queued', { actor: 'U-DEV1', at: at(0) });
      const running = newDeployment({ id: 'dep-a-running' });
      await store.createDeployment(running, 'running', { actor: 'U-DEV1', at: at(1) });
      const elsewhere = newDeployment({ id: 'dep-a-prod', environment: 'production' });
      await store.createDeployment(elsewhere, 'queued', { actor: 'U-DEV1', at: at(2) });

      const input = newDeployment({ id: 'dep-a-new', idempotencyKey: 'slack:T1' });
      const record = await store.acceptDeployment(input, steps(at(10), 'superseded by dep-a-new'));

      expect(record.created).toBe(true);
      expect(record.requested?.state).toBe('requested');
      expect(record.deployment).toMatchObject({ id: 'dep-a-new', state: 'queued' });
      expect(record.superseded.map((s) => [s.deployment.id, s.from, s.deployment.state])).toEqual([
        ['dep-a-older', 'queued', 'superseded'],
      ]);
      expect(await store.getDeployment('dep-a-new')).toEqual(record.deployment);
      expect(await states(store, ['dep-a-older', 'dep-a-running', 'dep-a-prod'])).toEqual([
        'superseded',
        'running',
        'queued',
      ]);
      const superseded = await store.getDeployment('dep-a-older');
      expect(superseded?.outcome).toBe('superseded by dep-a-new');
      expect(superseded?.finishedAt).toEqual(at(10));
      expect(
        (await store.listTransitions('dep-a-new')).map((t) => [t.seq, t.from, t.to, t.actor]),
      ).toEqual([
        [1, null, 'requested', 'U-DEV1'],
        [2, 'requested', 'queued', 'slipway'],
      ]);
      expect(
        (await store.listTransitions('dep-a-older')).map((t) => [t.seq, t.from, t.to, t.reason]),
      ).toEqual([
        [1, null, 'queued', null],
        [2, 'queued', 'superseded', 'superseded by dep-a-new'],
      ]);
    });

    it('returns the existing deployment for a used key, inserting and superseding nothing', async () => {
      const store = ctx.store();
      const at = timeline();
      const first = await store.acceptDeployment(
        newDeployment({ id: 'dep-k-1', idempotencyKey: 'slack:T2' }),
        steps(at(0)),
      );
      const again = await store.acceptDeployment(
        newDeployment({ id: 'dep-k-2', idempotencyKey: 'slack:T2' }),
        steps(at(5)),
      );
      expect(again).toEqual({
        deployment: first.deployment,
        created: false,
        requested: null,
        superseded: [],
        claimed: null,
      });
      expect(await store.getDeployment('dep-k-2')).toBeNull();
      expect(await states(store, ['dep-k-1'])).toEqual(['queued']);
    });

    it('writes requests sent at once together: each recorded, one per key, the newest left queued', async () => {
      const store = ctx.store();
      const at = timeline();
      const ids = Array.from({ length: 12 }, (_, i) => `dep-g-${String(i).padStart(2, '0')}`);
      const records = await Promise.all(
        ids.map((id, i) =>
          store.acceptDeployment(
            // Two deliveries of the same command (same key) among them: one deployment.
            newDeployment({ id, idempotencyKey: i === 11 ? 'slack:G-0' : `slack:G-${i}` }),
            steps(at(i)),
          ),
        ),
      );
      expect(records.filter((r) => r.created)).toHaveLength(11);
      expect(records[11]?.deployment.id).toBe('dep-g-00');
      const left = await store.listDeployments({ service: 'web', states: [...PENDING] });
      expect(left.map((d) => d.id)).toEqual(['dep-g-10']);
      const all = await store.listDeployments({ service: 'web', limit: 500 });
      expect(all.filter((d) => d.state === 'superseded')).toHaveLength(10);
    });

    it('tells a request’s gate when it waits and when its transaction starts, and writes nothing taken back', async () => {
      const store = ctx.store();
      const at = timeline();
      const seen: string[] = [];
      const gate = (name: string, takenBack = false) => ({
        waiting: () => {
          seen.push(`${name} waiting`);
        },
        begin: () => {
          seen.push(`${name} begins`);
          return !takenBack;
        },
      });
      const kept = store
        .acceptDeployment(
          newDeployment({ id: 'dep-g-kept', service: 'api' }),
          steps(at(0)),
          gate('kept'),
        )
        .then(() => seen.push('kept recorded'));
      const taken = store.acceptDeployment(
        newDeployment({ id: 'dep-g-taken', service: 'db' }),
        steps(at(1)),
        gate('taken', true),
      );
      await expect(taken).rejects.toMatchObject({ code: 'withdrawn' });
      await kept;
      expect(seen).toEqual([
        'kept waiting',
        'taken waiting',
        'kept begins',
        'taken begins',
        'kept recorded',
      ]);
      expect(await states(store, ['dep-g-kept', 'dep-g-taken'])).toEqual(['queued', 'missing']);
    });

    it('starts a request in its own transaction when asked and its target is free, on SQLite only', async () => {
      const store = ctx.store();
      const at = timeline();
      // Live on the target: what the started run would go back to, whatever the request read.
      await store.createDeployment(
        newDeployment({ id: 'dep-c-live', version: '0.9.0' }),
        'succeeded',
        {
          actor: 'U-DEV1',
          at: at(0),
        },
      );
      await store.createDeployment(
        newDeployment({ id: 'dep-c-held', environment: 'production' }),
        'running',
        { actor: 'U-DEV1', at: at(1) },
      );
      const claim = {
        owner: 'proc-1',
        leaseMs: 30_000,
        meta: { actor: 'slipway', reason: 'started by proc-1', at: at(12) },
      };
      const withClaim = (t: number) => ({ ...steps(at(t)), claim });
      // Sent at once, so that they share a transaction: a second request for the free target
      // waits behind the first one started, and one for the busy target is not started.
      const [first, second, busy] = await Promise.all([
        store.acceptDeployment(newDeployment({ id: 'dep-c-1', version: '1.0.0' }), withClaim(10)),
        store.acceptDeployment(newDeployment({ id: 'dep-c-2', version: '1.0.1' }), withClaim(11)),
        store.acceptDeployment(
          newDeployment({ id: 'dep-c-prod', environment: 'production' }),
          withClaim(11),
        ),
      ]);
      expect(first?.deployment.state).toBe('queued');
      expect(second?.claimed).toBeNull();
      expect(busy?.claimed).toBeNull();
      expect(await states(store, ['dep-c-2', 'dep-c-prod'])).toEqual(['queued', 'queued']);
      if (store.kind === 'postgres') {
        // Replicas claim from the queue; no request starts in its own transaction there, and
        // the second request, newer, makes the first one moot.
        expect(first?.claimed).toBeNull();
        expect(await states(store, ['dep-c-1'])).toEqual(['superseded']);
        return;
      }
      expect(first?.claimed).toMatchObject({
        id: 'dep-c-1',
        state: 'running',
        previousVersion: '0.9.0',
        leaseOwner: 'proc-1',
        leaseExpiresAt: new Date(at(12).getTime() + 30_000),
        startedAt: at(12),
      });
      expect(await store.getDeployment('dep-c-1')).toEqual(first?.claimed);
      expect(
        (await store.listTransitions('dep-c-1')).map((t) => [t.seq, t.from, t.to, t.reason]),
      ).toEqual([
        [1, null, 'requested', 'asked'],
        [2, 'requested', 'queued', null],
        [3, 'queued', 'running', 'started by proc-1'],
      ]);
      // It holds its target: the queue has nothing to give until it ends.
      expect(await store.claimNextQueued('proc-2', 30_000, { actor: 'slipway' })).toBeNull();
    });

    it('does not start a request that waits for approval', async () => {
      const store = ctx.store();
      const at = timeline();
      const record = await store.acceptDeployment(newDeployment({ id: 'dep-c-approve' }), {
        ...steps(at(0)),
        next: { to: 'awaiting_approval', meta: { actor: 'slipway', reason: 'needs 1 approval' } },
        claim: { owner: 'proc-1', leaseMs: 30_000, meta: { actor: 'slipway' } },
      });
      expect(record.claimed).toBeNull();
      expect(await states(store, ['dep-c-approve'])).toEqual(['awaiting_approval']);
    });

    it('fails one request of a group alone: the others are committed', async () => {
      const store = ctx.store();
      const at = timeline();
      await store.createDeployment(newDeployment({ id: 'dep-f-taken' }), 'succeeded', {
        actor: 'U-DEV1',
        at: at(0),
      });
      const results = await Promise.allSettled([
        store.acceptDeployment(newDeployment({ id: 'dep-f-1', service: 'api' }), steps(at(1))),
        // The id is used already: this one fails.
        store.acceptDeployment(newDeployment({ id: 'dep-f-taken' }), steps(at(2))),
        store.acceptDeployment(newDeployment({ id: 'dep-f-2', service: 'worker' }), steps(at(3))),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await states(store, ['dep-f-1', 'dep-f-2', 'dep-f-taken'])).toEqual([
        'queued',
        'queued',
        'succeeded',
      ]);
      // Alone in its transaction, the failed request leaves nothing either.
      await expect(
        store.acceptDeployment(newDeployment({ id: 'dep-f-taken' }), steps(at(4))),
      ).rejects.toThrow();
      expect((await store.listTransitions('dep-f-taken')).map((t) => t.to)).toEqual(['succeeded']);
      expect(await states(store, ['dep-f-2'])).toEqual(['queued']);
    });
  });
}
