import { NotFoundError } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { literalLimit } from './limit.js';
import { toAlertGroup } from './rows.js';
import type { AlertGroupRecord, Store } from './types.js';

export async function latestAlertGroup(
  ctx: StoreContext,
  groupId: string,
): Promise<AlertGroupRecord | null> {
  const row = await ctx.db
    .selectFrom('alert_groups')
    .selectAll()
    .where('group_id', '=', groupId)
    .orderBy('episode', 'desc')
    .limit(literalLimit(1))
    .executeTakeFirst();
  return row ? toAlertGroup(row) : null;
}

export async function saveAlertGroup(
  ctx: StoreContext,
  group: Parameters<Store['saveAlertGroup']>[0],
): Promise<AlertGroupRecord | null> {
  const at = (group.at ?? ctx.now()).getTime();
  const state = JSON.stringify(group.state);
  try {
    const row =
      group.revision === 0
        ? await ctx.db
            .insertInto('alert_groups')
            .values({
              group_id: group.groupId,
              episode: group.episode,
              group_key: group.groupKey,
              state,
              revision: 1,
              deployment_id: group.deploymentId,
              created_at: at,
              updated_at: at,
            })
            .onConflict((oc) => oc.columns(['group_id', 'episode']).doNothing())
            .returningAll()
            .executeTakeFirst()
        : await ctx.db
            .updateTable('alert_groups')
            .set({
              state,
              deployment_id: group.deploymentId,
              revision: group.revision + 1,
              updated_at: at,
            })
            .where('group_id', '=', group.groupId)
            .where('episode', '=', group.episode)
            .where('revision', '=', group.revision)
            .returningAll()
            .executeTakeFirst();
    return row ? toAlertGroup(row) : null;
  } catch (err) {
    if (ctx.dialect.violation(err) !== 'foreign_key') throw err;
    throw Object.assign(
      new NotFoundError(`deployment ${group.deploymentId} does not exist: check the id`),
      { cause: err },
    );
  }
}

export async function listAlertGroups(
  ctx: StoreContext,
  filter: { deploymentId: string },
): Promise<AlertGroupRecord[]> {
  const rows = await ctx.db
    .selectFrom('alert_groups')
    .selectAll()
    .where('deployment_id', '=', filter.deploymentId)
    .orderBy('created_at')
    .orderBy('group_id')
    .orderBy('episode')
    .execute();
  return rows.map(toAlertGroup);
}
