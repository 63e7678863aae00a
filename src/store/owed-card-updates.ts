import type { StoreContext } from './context.js';
import { literalLimit } from './limit.js';

/**
 * Records that these deployments' cards show an earlier state than the store (a stop gave up on
 * their updates). A deployment owed already keeps its first date; one deleted meanwhile is
 * skipped.
 */
export async function oweCardUpdates(
  ctx: StoreContext,
  deploymentIds: string[],
  at?: Date,
): Promise<void> {
  if (deploymentIds.length === 0) return;
  const since = (at ?? ctx.now()).getTime();
  const known = await ctx.db
    .selectFrom('deployments')
    .select('id')
    .where('id', 'in', [...new Set(deploymentIds)])
    .execute();
  if (known.length === 0) return;
  await ctx.db
    .insertInto('owed_card_updates')
    .values(known.map((row) => ({ deployment_id: row.id, owed_since: since })))
    .onConflict((oc) => oc.column('deployment_id').doNothing())
    .execute();
}

/** Deployments whose cards are owed an update, longest owed first. */
export async function listOwedCardUpdates(ctx: StoreContext, limit: number): Promise<string[]> {
  const rows = await ctx.db
    .selectFrom('owed_card_updates')
    .select('deployment_id')
    .orderBy('owed_since')
    .orderBy('deployment_id')
    .limit(literalLimit(limit))
    .execute();
  return rows.map((row) => row.deployment_id);
}

/** The deployment's cards show what the store has again. */
export async function settleCardUpdate(ctx: StoreContext, deploymentId: string): Promise<void> {
  await ctx.db.deleteFrom('owed_card_updates').where('deployment_id', '=', deploymentId).execute();
}
