import { randomUUID } from 'node:crypto';
import type { StoreContext } from './context.js';
import { toDate } from './rows.js';
import type { CanarySignal, CanarySignalAction } from './types.js';

export async function addCanarySignal(
  ctx: StoreContext,
  signal: { deploymentId: string; action: CanarySignalAction; actor: string; at: Date },
): Promise<CanarySignal> {
  const row = {
    id: `s-${randomUUID()}`,
    deployment_id: signal.deploymentId,
    action: signal.action,
    actor: signal.actor,
    at: signal.at.getTime(),
  };
  await ctx.db.insertInto('canary_signals').values(row).execute();
  return { ...signal, id: row.id };
}

/** A deployment's signals, oldest first (the order they were given in). */
export async function listCanarySignals(
  ctx: StoreContext,
  deploymentId: string,
): Promise<CanarySignal[]> {
  const rows = await ctx.db
    .selectFrom('canary_signals')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    deploymentId: row.deployment_id,
    action: row.action as CanarySignalAction,
    actor: row.actor,
    at: toDate(row.at),
  }));
}
