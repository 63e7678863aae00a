import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../core/errors.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function reviewCases(ctx: SuiteContext): void {
  describe('review decisions', () => {
    async function succeeded() {
      const { deployment } = await ctx
        .store()
        .createDeployment(newDeployment(), 'succeeded', { actor: 'a' });
      return deployment.id;
    }

    it('records the first decision on a build and keeps it', async () => {
      const store = ctx.store();
      const at = timeline();
      const id = await succeeded();
      expect(await store.getReviewDecision(id)).toBeNull();
      const promoted = { deploymentId: id, decision: 'promoted' as const, actor: 'U-DEV1' };
      expect(await store.recordReviewDecision({ ...promoted, at: at(10) })).toEqual({
        created: true,
        decision: { ...promoted, at: at(10) },
      });
      expect(
        await store.recordReviewDecision({
          deploymentId: id,
          decision: 'closed',
          actor: 'U-DEV2',
          at: at(20),
        }),
      ).toEqual({ created: false, decision: { ...promoted, at: at(10) } });
      expect(await store.getReviewDecision(id)).toEqual({ ...promoted, at: at(10) });
      expect(await store.getReviewDecision('other')).toBeNull();
    });

    it('lets exactly one of a promotion and a close racing on several processes win', async () => {
      const id = await succeeded();
      const stores = await ctx.peers(3);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          stores[i % stores.length]?.recordReviewDecision({
            deploymentId: id,
            decision: i % 2 === 0 ? 'promoted' : 'closed',
            actor: `U${i}`,
          }),
        ),
      );
      const winners = results.filter((r) => r?.created);
      expect(winners).toHaveLength(1);
      for (const r of results) expect(r?.decision).toEqual(winners[0]?.decision);
    });

    it('refuses a decision on a deployment that does not exist', async () => {
      await expect(
        ctx
          .store()
          .recordReviewDecision({ deploymentId: 'missing', decision: 'closed', actor: 'U1' }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
