import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../core/errors.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function approvalAndLockCases(ctx: SuiteContext): void {
  describe('approvals', () => {
    it('records one verdict per approver and keeps the first', async () => {
      const store = ctx.store();
      const at = timeline();
      const { deployment } = await store.createDeployment(newDeployment(), 'awaiting_approval', {
        actor: 'a',
      });
      const id = deployment.id;
      const approve = { deploymentId: id, verdict: 'approve' as const, comment: null };
      expect(await store.addApproval({ ...approve, approver: 'U-QA2', at: at(20) })).toEqual({
        created: true,
      });
      expect(
        await store.addApproval({ ...approve, approver: 'U-QA1', comment: 'lgtm', at: at(10) }),
      ).toEqual({ created: true });
      expect(
        await store.addApproval({ ...approve, approver: 'U-QA1', verdict: 'reject', at: at(30) }),
      ).toEqual({ created: false });
      expect(await store.listApprovals(id)).toEqual([
        { deploymentId: id, approver: 'U-QA1', verdict: 'approve', comment: 'lgtm', at: at(10) },
        { deploymentId: id, approver: 'U-QA2', verdict: 'approve', comment: null, at: at(20) },
      ]);
      expect(await store.listApprovals('other')).toEqual([]);
    });

    it('refuses an approval for a deployment that does not exist', async () => {
      await expect(
        ctx.store().addApproval({
          deploymentId: 'missing',
          approver: 'U-QA1',
          verdict: 'approve',
          comment: null,
        }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('locks', () => {
    const lock = {
      environment: 'production',
      service: null,
      owner: 'alice',
      reason: 'db migration',
      expiresAt: null,
    };

    it('takes an environment lock and refuses another owner', async () => {
      const store = ctx.store();
      const at = timeline();
      const taken = await store.acquireLock({ ...lock, createdAt: at(0) }, false);
      expect(taken).toEqual({ ok: true, lock: { ...lock, createdAt: at(0) }, replaced: null });
      const refused = await store.acquireLock({ ...lock, owner: 'bob', createdAt: at(1) }, false);
      expect(refused).toEqual({ ok: false, heldBy: { ...lock, createdAt: at(0) } });
      expect(await store.listLocks()).toEqual([{ ...lock, createdAt: at(0) }]);
    });

    it('keeps environment and service locks apart', async () => {
      const store = ctx.store();
      await store.acquireLock(lock, false);
      const service = await store.acquireLock({ ...lock, service: 'web', owner: 'bob' }, false);
      expect(service.ok).toBe(true);
      await store.acquireLock({ ...lock, environment: 'staging' }, false);
      const locks = await store.listLocks('production');
      expect(locks.map((l) => [l.service, l.owner])).toEqual([
        [null, 'alice'],
        ['web', 'bob'],
      ]);
      expect(await store.listLocks()).toHaveLength(3);
    });

    it('refreshes a lock for the same owner and keeps when it was taken', async () => {
      const store = ctx.store();
      const at = timeline();
      await store.acquireLock({ ...lock, expiresAt: at(1000), createdAt: at(0) }, false);
      const refreshed = await store.acquireLock(
        { ...lock, reason: 'still migrating', expiresAt: at(5000), createdAt: at(500) },
        false,
      );
      expect(refreshed).toEqual({
        ok: true,
        lock: { ...lock, reason: 'still migrating', expiresAt: at(5000), createdAt: at(0) },
        replaced: null,
      });
      expect(await store.listLocks(undefined, at(2000))).toHaveLength(1);
    });

    it('replaces another owner’s lock when forced and says whose it was', async () => {
      const store = ctx.store();
      const at = timeline();
      await store.acquireLock({ ...lock, createdAt: at(0) }, false);
      const forced = await store.acquireLock(
        { ...lock, owner: 'bob', reason: 'incident', createdAt: at(1) },
        true,
      );
      expect(forced).toEqual({
        ok: true,
        lock: { ...lock, owner: 'bob', reason: 'incident', createdAt: at(1) },
        replaced: { ...lock, createdAt: at(0) },
      });
      expect((await store.listLocks())[0]?.owner).toBe('bob');
    });

    it('treats an expired lock as absent', async () => {
      const store = ctx.store();
      const at = timeline();
      await store.acquireLock({ ...lock, expiresAt: at(1000), createdAt: at(0) }, false);
      expect(await store.listLocks(undefined, at(999))).toHaveLength(1);
      expect(await store.listLocks(undefined, at(1000))).toEqual([]);
      const after = await store.acquireLock({ ...lock, owner: 'bob', createdAt: at(1000) }, false);
      expect(after).toEqual({
        ok: true,
        lock: { ...lock, owner: 'bob', createdAt: at(1000) },
        replaced: null,
      });
    });

    it('releases a lock and returns it, then nothing', async () => {
      const store = ctx.store();
      const at = timeline();
      await store.acquireLock({ ...lock, service: 'web', createdAt: at(0) }, false);
      expect(await store.releaseLock('production', null)).toBeNull();
      expect(await store.releaseLock('production', 'web')).toEqual({
        ...lock,
        service: 'web',
        createdAt: at(0),
      });
      expect(await store.releaseLock('production', 'web')).toBeNull();
      expect(await store.listLocks()).toEqual([]);
      await store.acquireLock({ ...lock, expiresAt: new Date(Date.now() - 1000) }, false);
      expect(await store.releaseLock('production', null)).toBeNull();
    });

    it('gives a contended lock to exactly one owner', async () => {
      const stores = await ctx.peers(3);
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          stores[i % stores.length]?.acquireLock({ ...lock, owner: `owner-${i}` }, false),
        ),
      );
      const winners = results.filter((r) => r?.ok);
      expect(winners).toHaveLength(1);
      const owner = winners[0]?.ok ? winners[0].lock.owner : undefined;
      for (const r of results) {
        if (r && !r.ok) expect(r.heldBy.owner).toBe(owner);
      }
    });
  });
}
