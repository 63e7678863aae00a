import { NotFoundError } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { toAlertMessage } from './rows.js';
import type { AlertMessageRecord } from './types.js';

interface EpisodeKey {
  groupId: string;
  episode: number;
}

export async function latestAlertMessage(
  ctx: StoreContext,
  groupId: string,
): Promise<AlertMessageRecord | null> {
  const row = await ctx.db
    .selectFrom('alert_messages')
    .selectAll()
    .where('group_id', '=', groupId)
    .orderBy('episode', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toAlertMessage(row) : null;
}

export async function saveAlertGroup(
  ctx: StoreContext,
  group: EpisodeKey & {
    groupKey: string;
    state: unknown;
    deploymentId: string | null;
    revision: number;
    at?: Date;
  },
): Promise<AlertMessageRecord | null> {
  const at = (group.at ?? ctx.now()).getTime();
  const state = JSON.stringify(group.state);
  try {
    const row =
      group.revision === 0
        ? await ctx.db
            .insertInto('alert_messages')
            .values({
              group_id: group.groupId,
              episode: group.episode,
              group_key: group.groupKey,
              state,
              revision: 1,
              deployment_id: group.deploymentId,
              channel: null,
              ts: null,
              claimed_at: null,
              created_at: at,
              updated_at: at,
            })
            .onConflict((oc) => oc.columns(['group_id', 'episode']).doNothing())
            .returningAll()
            .executeTakeFirst()
        : await ctx.db
            .updateTable('alert_messages')
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
    return row ? toAlertMessage(row) : null;
  } catch (err) {
    if (ctx.dialect.violation(err) !== 'foreign_key') throw err;
    throw Object.assign(
      new NotFoundError(`deployment ${group.deploymentId} does not exist: check the id`),
      { cause: err },
    );
  }
}

export async function claimAlertMessage(
  ctx: StoreContext,
  key: EpisodeKey & { channel: string; at?: Date },
  staleAfterMs?: number,
): Promise<{ claimed: boolean; message: AlertMessageRecord }> {
  const at = (key.at ?? ctx.now()).getTime();
  const existing = await getEpisode(ctx, key);
  if (existing.ts !== null) return { claimed: false, message: existing };
  const claimedAt = existing.claimedAt?.getTime() ?? null;
  const abandoned =
    claimedAt !== null && staleAfterMs !== undefined && claimedAt <= at - staleAfterMs;
  if (claimedAt !== null && !abandoned) return { claimed: false, message: existing };
  // Compare-and-set on the claim time seen: of several processes, one wins.
  let update = ctx.db
    .updateTable('alert_messages')
    .set({ channel: key.channel, claimed_at: at })
    .where('group_id', '=', key.groupId)
    .where('episode', '=', key.episode)
    .where('ts', 'is', null);
  update =
    claimedAt === null
      ? update.where('claimed_at', 'is', null)
      : update.where('claimed_at', '=', claimedAt);
  const taken = await update.returningAll().executeTakeFirst();
  if (taken) return { claimed: true, message: toAlertMessage(taken) };
  return { claimed: false, message: await getEpisode(ctx, key) };
}

export async function setAlertMessageTs(
  ctx: StoreContext,
  key: EpisodeKey & { channel: string; ts: string; at?: Date },
): Promise<AlertMessageRecord | null> {
  // Only a reservation is completed: a message already recorded stays the one message.
  await ctx.db
    .updateTable('alert_messages')
    .set({ channel: key.channel, ts: key.ts, updated_at: (key.at ?? ctx.now()).getTime() })
    .where('group_id', '=', key.groupId)
    .where('episode', '=', key.episode)
    .where('ts', 'is', null)
    .execute();
  const row = await selectEpisode(ctx, key);
  return row ? toAlertMessage(row) : null;
}

export async function listAlertMessages(
  ctx: StoreContext,
  filter: { deploymentId: string },
): Promise<AlertMessageRecord[]> {
  const rows = await ctx.db
    .selectFrom('alert_messages')
    .selectAll()
    .where('deployment_id', '=', filter.deploymentId)
    .orderBy('created_at')
    .orderBy('group_id')
    .orderBy('episode')
    .execute();
  return rows.map(toAlertMessage);
}

function selectEpisode(ctx: StoreContext, key: EpisodeKey) {
  return ctx.db
    .selectFrom('alert_messages')
    .selectAll()
    .where('group_id', '=', key.groupId)
    .where('episode', '=', key.episode)
    .executeTakeFirst();
}

async function getEpisode(ctx: StoreContext, key: EpisodeKey): Promise<AlertMessageRecord> {
  const row = await selectEpisode(ctx, key);
  if (!row) {
    throw new NotFoundError(
      `alert group ${key.groupId} has no episode ${key.episode}: save the group first`,
    );
  }
  return toAlertMessage(row);
}
