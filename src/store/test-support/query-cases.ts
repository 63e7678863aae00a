import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../core/deployment.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function queryCases(ctx: SuiteContext): void {
  describe('listDeployments', () => {
    async function seed() {
      const store = ctx.store();
      const at = timeline();
      const rows: Array<Parameters<typeof newDeployment>[0] & { state?: Deployment['state'] }> = [
        { service: 'web', environment: 'staging', requestedBy: 'alice' },
        { service: 'web', environment: 'production', requestedBy: 'bob', state: 'succeeded' },
        { service: 'api', environment: 'staging', requestedBy: 'alice', kind: 'rollback' },
        { service: 'api', environment: 'production', requestedBy: 'carol', state: 'failed' },
        { service: 'web', environment: 'staging', requestedBy: 'bob', state: 'cancelled' },
      ];
      const ids: string[] = [];
      for (const [i, { state, ...row }] of rows.entries()) {
        const { deployment } = await store.createDeployment(newDeployment(row), state ?? 'queued', {
          actor: 'a',
          at: at(i * 1000),
        });
        ids.push(deployment.id);
      }
      return { store, at, ids };
    }

    it('lists newest first and filters by each field', async () => {
      const { store, at, ids } = await seed();
      const list = async (filter: Parameters<typeof store.listDeployments>[0]) =>
        (await store.listDeployments(filter)).map((d) => ids.indexOf(d.id));
      expect(await list(undefined)).toEqual([4, 3, 2, 1, 0]);
      expect(await list({ service: 'web' })).toEqual([4, 1, 0]);
      expect(await list({ environment: 'production' })).toEqual([3, 1]);
      expect(await list({ service: 'web', environment: 'staging' })).toEqual([4, 0]);
      expect(await list({ states: ['succeeded', 'failed'] })).toEqual([3, 1]);
      expect(await list({ states: [] })).toEqual([]);
      expect(await list({ requestedBy: 'alice' })).toEqual([2, 0]);
      expect(await list({ kind: 'rollback' })).toEqual([2]);
      expect(await list({ id: ids[3] })).toEqual([3]);
      expect(await list({ id: ids[3], service: 'web' })).toEqual([]);
      expect(await list({ before: at(3000) })).toEqual([2, 1, 0]);
      expect(await list({ since: at(3000) })).toEqual([4, 3]);
      expect(await list({ since: at(1000), before: at(3000), service: 'api' })).toEqual([2]);
    });

    it('takes several people, and finds searched text in any case, wildcards as text', async () => {
      const { store, ids } = await seed();
      const list = async (filter: Parameters<typeof store.listDeployments>[0]) =>
        (await store.listDeployments(filter)).map((d) => ids.indexOf(d.id));
      expect(await list({ requestedBy: ['alice', 'carol'] })).toEqual([3, 2, 0]);
      expect(await list({ requestedBy: [] })).toEqual([]);
      const at = timeline(Date.now() + 60_000);
      const make = async (row: Parameters<typeof newDeployment>[0], outcome: string | null) => {
        const { deployment } = await store.createDeployment(newDeployment(row), 'verifying', {
          actor: 'a',
          at: at(ids.length * 1000),
        });
        await store.transition(deployment.id, ['verifying'], 'failed', { actor: 'a' }, { outcome });
        ids.push(deployment.id);
        return deployment.id;
      };
      const hotfix = await make({ version: '2.0.0-RC1', reason: 'Hotfix for 100% CPU' }, null);
      await make({ version: '3.1.4' }, 'Rollout timed out: 1 of 3 pods READY');
      expect(await list({ text: 'rc1' })).toEqual([5]);
      expect(await list({ text: 'HOTFIX' })).toEqual([5]);
      expect(await list({ text: '100%' })).toEqual([5]);
      // % and _ are the searched characters, not LIKE's wildcards.
      expect(await list({ text: '1_0' })).toEqual([]);
      expect(await list({ text: '%' })).toEqual([5]);
      expect(await list({ text: 'pods ready' })).toEqual([6]);
      expect(await list({ text: hotfix })).toEqual([5]);
      expect(await list({ text: hotfix.slice(0, 8) })).toEqual([]);
      expect(await list({ text: '3.1', states: ['succeeded'] })).toEqual([]);
    });

    it('pages backwards with before and limit', async () => {
      const { store, ids } = await seed();
      const first = await store.listDeployments({ limit: 2 });
      expect(first.map((d) => ids.indexOf(d.id))).toEqual([4, 3]);
      const second = await store.listDeployments({ limit: 2, before: first[1]?.createdAt });
      expect(second.map((d) => ids.indexOf(d.id))).toEqual([2, 1]);
      const third = await store.listDeployments({ limit: 2, before: second[1]?.createdAt });
      expect(third.map((d) => ids.indexOf(d.id))).toEqual([0]);
      expect(await store.listDeployments({ limit: 0 })).toHaveLength(1);
    });

    it('returns 50 by default', async () => {
      const store = ctx.store();
      const at = timeline();
      await Promise.all(
        Array.from({ length: 55 }, (_, i) =>
          store.createDeployment(newDeployment(), 'succeeded', { actor: 'a', at: at(i) }),
        ),
      );
      const page = await store.listDeployments();
      expect(page).toHaveLength(50);
      expect(page[0]?.createdAt).toEqual(at(54));
      expect(await store.listDeployments({ limit: 10_000 })).toHaveLength(55);
    });
  });

  describe('lastSucceeded', () => {
    it('returns the succeeded deployment that finished last on that target', async () => {
      const store = ctx.store();
      const at = timeline();
      expect(await store.lastSucceeded('web', 'staging')).toBeNull();
      const finish = async (
        target: { service: string; environment: string },
        version: string,
        state: Deployment['state'],
        createdMs: number,
        finishedMs: number,
      ) => {
        const { deployment } = await store.createDeployment(
          newDeployment({ ...target, version }),
          'verifying',
          { actor: 'a', at: at(createdMs) },
        );
        await store.transition(deployment.id, ['verifying'], state, {
          actor: 'a',
          at: at(finishedMs),
        });
        return deployment.id;
      };
      const web = { service: 'web', environment: 'staging' };
      await finish(web, '1.0.0', 'succeeded', 0, 100);
      // Requested earlier but finished later: this one is what is live.
      await finish(web, '1.1.0', 'succeeded', -50, 200);
      await finish(web, '1.2.0', 'failed', 300, 400);
      await finish({ service: 'web', environment: 'production' }, '9.9.9', 'succeeded', 500, 600);
      await finish({ service: 'api', environment: 'staging' }, '8.8.8', 'succeeded', 500, 600);
      expect((await store.lastSucceeded('web', 'staging'))?.version).toBe('1.1.0');
      expect((await store.lastSucceeded('web', 'production'))?.version).toBe('9.9.9');
      expect(await store.lastSucceeded('web', 'perf')).toBeNull();
      // Many targets at once name the same deployments, and nothing for a target without.
      const targets = [
        { service: 'web', environment: 'staging' },
        { service: 'web', environment: 'production' },
        { service: 'web', environment: 'perf' },
        { service: 'api', environment: 'staging' },
      ];
      const many = await store.lastSucceededOn(targets);
      const one = await Promise.all(
        targets.map((t) => store.lastSucceeded(t.service, t.environment)),
      );
      const byVersion = (list: Array<Deployment | null>) =>
        list.flatMap((d) => (d ? [d] : [])).sort((a, b) => a.version.localeCompare(b.version));
      expect(byVersion(many)).toEqual(byVersion(one));
      expect(many.map((d) => d.version).sort()).toEqual(['1.1.0', '8.8.8', '9.9.9']);
      expect(await store.lastSucceededOn([])).toEqual([]);
      // The newest of each target, whatever its state, is what listDeployments puts first.
      const newest = await store.newestOn(targets);
      const first = await Promise.all(
        targets.map(async (t) => (await store.listDeployments({ ...t, limit: 1 }))[0] ?? null),
      );
      expect(byVersion(newest)).toEqual(byVersion(first));
      expect(newest.map((d) => d.version).sort()).toEqual(['1.2.0', '8.8.8', '9.9.9']);
    });
  });
  describe('countDeployments', () => {
    it('counts deployments per target in the states asked for, and only those', async () => {
      const store = ctx.store();
      const rows: Array<[string, string, Deployment['state']]> = [
        ['web', 'staging', 'queued'],
        ['web', 'staging', 'queued'],
        ['web', 'production', 'awaiting_approval'],
        ['api', 'staging', 'queued'],
        ['api', 'staging', 'succeeded'],
      ];
      for (const [service, environment, state] of rows) {
        await store.createDeployment(newDeployment({ service, environment }), state, {
          actor: 'a',
        });
      }
      const counts = await store.countDeployments(['queued', 'awaiting_approval']);
      const key = (c: { service: string; environment: string; state: string }) =>
        `${c.service}/${c.environment}/${c.state}`;
      expect(Object.fromEntries(counts.map((c) => [key(c), c.count]))).toEqual({
        'web/staging/queued': 2,
        'web/production/awaiting_approval': 1,
        'api/staging/queued': 1,
      });
      expect(await store.countDeployments(['running'])).toEqual([]);
      expect(await store.countDeployments([])).toEqual([]);
    });
  });

  describe('trace context', () => {
    it('keeps the traceparent a deployment was created with, and null without one', async () => {
      const store = ctx.store();
      const traceParent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const { deployment } = await store.createDeployment(
        newDeployment({ traceParent }),
        'queued',
        { actor: 'a' },
      );
      expect(deployment.traceParent).toBe(traceParent);
      expect((await store.getDeployment(deployment.id))?.traceParent).toBe(traceParent);
      const plain = await store.createDeployment(newDeployment(), 'queued', { actor: 'a' });
      expect((await store.getDeployment(plain.deployment.id))?.traceParent).toBeNull();
    });
  });
}
