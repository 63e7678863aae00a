import type { StoreContext } from './context.js';

/**
 * Expired rows are deleted at most this often per process, on the way through a write: one
 * extra statement a minute instead of one per delivery keeps the acknowledgement path at one
 * insert, and a minute's worth of expired keys is all the table holds beyond the live ones.
 */
const PRUNE_EVERY_MS = 60_000;

export interface DeliveryLedger {
  markDelivered(key: string, expiresAt: Date): Promise<boolean>;
}

export function createDeliveryLedger(ctx: StoreContext): DeliveryLedger {
  let prunedAt = Number.NEGATIVE_INFINITY;
  return {
    async markDelivered(key, expiresAt) {
      const now = ctx.now().getTime();
      const first = await insertIfAbsent(ctx, key, expiresAt.getTime(), now);
      if (now - prunedAt >= PRUNE_EVERY_MS) {
        prunedAt = now;
        await ctx.db.deleteFrom('seen_deliveries').where('expires_at', '<=', now).execute();
      }
      return first;
    },
  };
}

/**
 * One statement, atomic on both databases: a new key is inserted; a key whose row has expired
 * but is not pruned yet is taken again; a live key changes nothing and returns no row.
 */
async function insertIfAbsent(
  ctx: StoreContext,
  key: string,
  expiresAt: number,
  now: number,
): Promise<boolean> {
  const row = await ctx.db
    .insertInto('seen_deliveries')
    .values({ key, expires_at: expiresAt })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') }))
        .where('seen_deliveries.expires_at', '<=', now),
    )
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}
