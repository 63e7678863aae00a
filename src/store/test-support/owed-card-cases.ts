import { describe, expect, it } from 'vitest';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function owedCardCases(ctx: SuiteContext): void {
  describe('owed card updates', () => {
    async function deployment() {
      const { deployment } = await ctx
        .store()
        .createDeployment(newDeployment(), 'queued', { actor: 'a' });
      return deployment.id;
    }

    it('keeps what a stop left owed, longest owed first, until settled', async () => {
      const store = ctx.store();
      const at = timeline();
      const [a, b, c] = [await deployment(), await deployment(), await deployment()];
      await store.oweCardUpdates([b, c], at(0));
      // Owed again by a later stop: its first date stands.
      await store.oweCardUpdates([a, b, 'd-gone'], at(5));
      expect(await store.listOwedCardUpdates(10)).toEqual([b, c].sort().concat(a));
      expect(await store.listOwedCardUpdates(1)).toHaveLength(1);
      await store.settleCardUpdate(b);
      await store.settleCardUpdate(b);
      expect(await store.listOwedCardUpdates(10)).toEqual([c, a]);
      await store.oweCardUpdates([]);
      expect(await store.listOwedCardUpdates(10)).toEqual([c, a]);
    });
  });
}
