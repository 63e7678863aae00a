import { describe, expect, it } from 'vitest';
import { newRefusalId } from '../../core/ids.js';
import type { RefusalRecord } from '../types.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function newRefusal(overrides: Partial<RefusalRecord> = {}): RefusalRecord {
  return {
    id: newRefusalId(),
    at: new Date(),
    actor: 'U-DEV1',
    source: 'chat',
    channel: 'C-DEPLOYS',
    action: 'deploy',
    service: 'web',
    environment: 'production',
    version: '1.2.3',
    deploymentId: null,
    code: 'frozen',
    reason: 'production is frozen until Monday 09:00: ask a release manager for deploy!',
    correlationId: 'corr-1',
    ...overrides,
  };
}

export function refusalCases(ctx: SuiteContext): void {
  describe('refusals', () => {
    async function seed() {
      const store = ctx.store();
      const at = timeline();
      const rows: Array<Partial<RefusalRecord>> = [
        { service: 'web', environment: 'staging', actor: 'alice' },
        { service: 'web', environment: 'production', actor: 'bob' },
        { service: 'api', environment: 'staging', actor: 'alice', action: 'rollback' },
        { service: 'api', environment: 'production', actor: 'carol' },
        { service: null, environment: null, actor: 'bob', action: 'approve', deploymentId: 'd-1' },
      ];
      const ids: string[] = [];
      for (const [i, row] of rows.entries()) {
        const refusal = newRefusal({ ...row, at: at(i * 1000) });
        await store.recordRefusal(refusal);
        ids.push(refusal.id);
      }
      return { store, at, ids };
    }

    it('keeps every field of a refusal, nulls and milliseconds included', async () => {
      const store = ctx.store();
      const at = timeline();
      const full = newRefusal({ at: at(0), source: 'api', action: 'deploy!' });
      const bare = newRefusal({
        at: at(1),
        channel: null,
        service: null,
        environment: null,
        version: null,
        deploymentId: 'd-missing',
        correlationId: null,
      });
      await store.recordRefusal(full);
      await store.recordRefusal(bare);
      expect(await store.listRefusals()).toEqual([bare, full]);
    });

    it('keeps one row when the same refusal is recorded twice', async () => {
      const store = ctx.store();
      const refusal = newRefusal();
      await store.recordRefusal(refusal);
      await store.recordRefusal({ ...refusal, reason: 'a retry' });
      expect(await store.listRefusals()).toEqual([refusal]);
    });

    it('records refusals made at the same moment, a bad one failing only its own caller', async () => {
      const store = ctx.store();
      const at = timeline();
      const good = [0, 1, 2].map((i) => newRefusal({ at: at(i * 1000) }));
      // A reason is required: the database refuses the row.
      const bad = newRefusal({ at: at(500), reason: null as unknown as string });
      const outcomes = await Promise.allSettled(
        [good[0], bad, good[1], good[2]].map((r) => store.recordRefusal(r as RefusalRecord)),
      );
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect(await store.listRefusals()).toEqual([...good].reverse());
    });

    it('lists newest first and filters by each field', async () => {
      const { store, at, ids } = await seed();
      const list = async (filter: Parameters<typeof store.listRefusals>[0]) =>
        (await store.listRefusals(filter)).map((r) => ids.indexOf(r.id));
      expect(await list(undefined)).toEqual([4, 3, 2, 1, 0]);
      expect(await list({ service: 'web' })).toEqual([1, 0]);
      expect(await list({ environment: 'staging' })).toEqual([2, 0]);
      expect(await list({ service: 'api', environment: 'production' })).toEqual([3]);
      expect(await list({ actor: 'bob' })).toEqual([4, 1]);
      expect(await list({ deploymentId: 'd-1' })).toEqual([4]);
      expect(await list({ id: ids[2] })).toEqual([2]);
      expect(await list({ id: ids[2], actor: 'bob' })).toEqual([]);
      expect(await list({ before: at(3000) })).toEqual([2, 1, 0]);
      expect(await list({ since: at(3000) })).toEqual([4, 3]);
      expect(await list({ since: at(1000), before: at(3000), actor: 'alice' })).toEqual([2]);
    });

    it('takes several actors, and finds searched text in any case, wildcards as text', async () => {
      const { store, ids } = await seed();
      const list = async (filter: Parameters<typeof store.listRefusals>[0]) =>
        (await store.listRefusals(filter)).map((r) => ids.indexOf(r.id));
      expect(await list({ actor: ['alice', 'carol'] })).toEqual([3, 2, 0]);
      expect(await list({ actor: [] })).toEqual([]);
      const odd = newRefusal({
        version: '9.9.9-BETA',
        reason: '=HYPERLINK("x"), 50% done_now',
        deploymentId: 'd-0a0b0c0d0e0f',
      });
      await store.recordRefusal(odd);
      ids.push(odd.id);
      expect(await list({ text: 'beta' })).toEqual([5]);
      expect(await list({ text: 'hyperlink("X")' })).toEqual([5]);
      expect(await list({ text: '50%' })).toEqual([5]);
      expect(await list({ text: 'e_n' })).toEqual([5]);
      expect(await list({ text: '0%d' })).toEqual([]);
      expect(await list({ text: 'd-0a0b0c0d0e0f' })).toEqual([5]);
      expect(await list({ text: odd.id })).toEqual([5]);
      expect(await list({ text: 'monday', service: 'api' })).toEqual([3, 2]);
    });

    it('pages backwards with before and limit, 50 by default and at least 1', async () => {
      const { store, ids } = await seed();
      const first = await store.listRefusals({ limit: 2 });
      expect(first.map((r) => ids.indexOf(r.id))).toEqual([4, 3]);
      const second = await store.listRefusals({ limit: 2, before: first[1]?.at });
      expect(second.map((r) => ids.indexOf(r.id))).toEqual([2, 1]);
      expect(await store.listRefusals({ limit: 0 })).toHaveLength(1);
      const at = timeline(Date.now() + 60_000);
      for (let i = 0; i < 50; i++) await store.recordRefusal(newRefusal({ at: at(i) }));
      const page = await store.listRefusals();
      expect(page).toHaveLength(50);
      expect(page[0]?.at).toEqual(at(49));
      expect(await store.listRefusals({ limit: 10_000 })).toHaveLength(55);
    });

    it('stays when the deployment it names is a real one, and lists by it', async () => {
      const store = ctx.store();
      const { deployment } = await store.createDeployment(newDeployment(), 'awaiting_approval', {
        actor: 'U-DEV1',
      });
      const selfApproval = newRefusal({
        action: 'approve',
        deploymentId: deployment.id,
        code: 'self_approval',
      });
      await store.recordRefusal(selfApproval);
      await store.recordRefusal(newRefusal());
      expect(await store.listRefusals({ deploymentId: deployment.id })).toEqual([selfApproval]);
    });
  });
}
