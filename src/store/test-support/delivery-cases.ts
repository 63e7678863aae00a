import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './fixtures.js';

export function deliveryCases(ctx: SuiteContext): void {
  describe('seen deliveries', () => {
    it('marks a delivery once while it is unexpired, and again once it has expired', async () => {
      const t = Date.now();
      const store = ctx.store();
      expect(await store.markDelivered('slack:trigger:1', new Date(t + 60_000))).toBe(true);
      expect(await store.markDelivered('slack:trigger:1', new Date(t + 120_000))).toBe(false);
      expect(await store.markDelivered('slack:trigger:2', new Date(t + 60_000))).toBe(true);
      expect(await store.markDelivered('slack:trigger:old', new Date(t - 1))).toBe(true);
      // Expired but maybe not pruned yet: taken again, for its new lifetime.
      expect(await store.markDelivered('slack:trigger:old', new Date(t + 60_000))).toBe(true);
      expect(await store.markDelivered('slack:trigger:old', new Date(t + 60_000))).toBe(false);
    });

    it('answers a repeat to another process sharing the database', async () => {
      if (!ctx.target.shared) return;
      const [first, second] = await ctx.peers(2);
      const expiresAt = new Date(Date.now() + 60_000);
      expect(await first?.markDelivered('slack:event:Ev1', expiresAt)).toBe(true);
      expect(await second?.markDelivered('slack:event:Ev1', expiresAt)).toBe(false);
    });

    it('lets exactly one of several processes marking the same delivery win', async () => {
      const stores = await ctx.peers(3);
      const expiresAt = new Date(Date.now() + 60_000);
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          stores[i % stores.length]?.markDelivered('slack:action:race', expiresAt),
        ),
      );
      expect(results.filter((first) => first === true)).toHaveLength(1);
    });

    it('answers each of many deliveries marked at once, in batches', async () => {
      const store = ctx.store();
      const expiresAt = new Date(Date.now() + 60_000);
      const keys = Array.from({ length: 1_200 }, (_, i) => `slack:event:Ev${i}`);
      expect(await Promise.all(keys.map((k) => store.markDelivered(k, expiresAt)))).toEqual(
        keys.map(() => true),
      );
      const again = await Promise.all(
        [...keys.slice(0, 10), 'slack:event:new'].map((k) => store.markDelivered(k, expiresAt)),
      );
      expect(again).toEqual([...keys.slice(0, 10).map(() => false), true]);
    });
  });
}
