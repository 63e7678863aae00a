import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './fixtures.js';

export function peopleCases(ctx: SuiteContext): void {
  describe('people', () => {
    it('finds the names it was given, leaving unknown ids out', async () => {
      const store = ctx.store();
      const at = new Date('2025-03-01T10:00:00.000Z');
      expect(await store.findPeople(['U0API0001'])).toEqual(new Map());
      await store.rememberPeople([
        { id: 'U0API0001', name: 'Ana Lima', refreshedAt: at },
        { id: 'U0WEB0001', name: 'Ben Okafor', refreshedAt: at },
      ]);
      const found = await store.findPeople(['U0API0001', 'U0NOBODY1', 'U0API0001']);
      expect([...found.values()]).toEqual([{ id: 'U0API0001', name: 'Ana Lima', refreshedAt: at }]);
      expect(await store.findPeople([])).toEqual(new Map());
    });

    it('renames on a newer answer and keeps a name refreshed later than the one given', async () => {
      const store = ctx.store();
      const t = Date.parse('2025-03-01T10:00:00.000Z');
      await store.rememberPeople([{ id: 'U0API0001', name: 'Ana', refreshedAt: new Date(t) }]);
      const renamed = { id: 'U0API0001', name: 'Ana Lima', refreshedAt: new Date(t + 1_000) };
      await store.rememberPeople([renamed]);
      // A replica that asked earlier writes after it: the newer name stands.
      await store.rememberPeople([{ id: 'U0API0001', name: 'Ana', refreshedAt: new Date(t) }]);
      expect(await store.findPeople(['U0API0001'])).toEqual(new Map([['U0API0001', renamed]]));
    });

    it('takes an id twice in one call, the last entry winning', async () => {
      const store = ctx.store();
      const at = new Date('2025-03-01T10:00:00.000Z');
      await store.rememberPeople([
        { id: 'U0API0001', name: 'Ana', refreshedAt: at },
        { id: 'U0API0001', name: 'Ana Lima', refreshedAt: at },
      ]);
      expect((await store.findPeople(['U0API0001'])).get('U0API0001')?.name).toBe('Ana Lima');
    });

    it('remembers and finds more people than one statement binds', async () => {
      const store = ctx.store();
      const at = new Date('2025-03-01T10:00:00.000Z');
      const ids = Array.from({ length: 1_200 }, (_, i) => `U0P${String(i).padStart(6, '0')}`);
      await store.rememberPeople(ids.map((id) => ({ id, name: `name ${id}`, refreshedAt: at })));
      const found = await store.findPeople(ids);
      expect(found.size).toBe(1_200);
      expect(found.get('U0P001199')?.name).toBe('name U0P001199');
    });

    it('shows one process the names another remembered', async () => {
      if (!ctx.target.shared) return;
      const [first, second] = await ctx.peers(2);
      const at = new Date('2025-03-01T10:00:00.000Z');
      await first?.rememberPeople([{ id: 'U0API0001', name: 'Ana Lima', refreshedAt: at }]);
      expect((await second?.findPeople(['U0API0001']))?.get('U0API0001')?.name).toBe('Ana Lima');
    });
  });
}
