import { describe, expect, it } from 'vitest';
import { newDeployment, type SuiteContext } from './fixtures.js';

const ALL = [
  '001-initial',
  '002-chat-messages',
  '003-review-decisions',
  '004-build-refs',
  '005-alert-messages',
  '006-trace-context',
  '007-refusals',
  '008-seen-deliveries',
  '009-people',
  '010-canary-signals',
  '011-posted-messages',
  '012-chat-conversations',
  '013-dora',
  '014-dashboard',
  '015-bad-versions',
  '016-github-deployments',
  '017-grafana-annotations',
  '018-owed-card-updates',
];

export function migrationCases(ctx: SuiteContext): void {
  describe('migrations', () => {
    it('lists pending migrations, applies them once and is then up to date', async () => {
      const { store } = await ctx.openFresh();
      expect(await store.pendingMigrations()).toEqual(ALL);
      expect(await store.migrate()).toEqual(ALL);
      expect(await store.pendingMigrations()).toEqual([]);
      expect(await store.migrate()).toEqual([]);
      await store.ping();
    });

    it('applies each migration once when several processes start together', async () => {
      const { url, store } = await ctx.openFresh();
      const others = ctx.target.shared ? [ctx.open(url), ctx.open(url)] : [store, store];
      const applied = await Promise.all([store, ...others].map((s) => s.migrate()));
      expect(applied.flat()).toEqual(ALL);
      for (const s of [store, ...others]) expect(await s.pendingMigrations()).toEqual([]);
    });

    // Only for targets that outlive a connection: ':memory:' vanishes with it by design, so
    // the case is not registered there (the SQLite file target runs it).
    if (!ctx.target.shared) return;
    it('keeps data across reopening', async () => {
      const { url, store } = await ctx.openFresh();
      await store.migrate();
      const { deployment } = await store.createDeployment(newDeployment(), 'queued', {
        actor: 'a',
      });
      await store.close();
      const reopened = ctx.open(url);
      expect(await reopened.pendingMigrations()).toEqual([]);
      expect(await reopened.getDeployment(deployment.id)).toEqual(deployment);
    });
  });
}
