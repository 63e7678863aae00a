import { NotFoundError } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { toChatMessage } from './rows.js';
import type { ChatMessageRecord } from './types.js';

interface MessageKey {
  deploymentId: string;
  purpose: string;
}

export async function saveMessage(
  ctx: StoreContext,
  message: MessageKey & { channel: string; ts: string; at?: Date },
): Promise<{ created: boolean; message: ChatMessageRecord }> {
  const inserted = await insertOrNothing(ctx, { ...message });
  if (inserted) return { created: true, message: inserted };
  return { created: false, message: await getMessage(ctx, message) };
}

export async function claimMessage(
  ctx: StoreContext,
  message: MessageKey & { channel: string; at?: Date },
  staleAfterMs?: number,
): Promise<{ claimed: boolean; message: ChatMessageRecord }> {
  const at = message.at ?? ctx.now();
  const inserted = await insertOrNothing(ctx, { ...message, ts: null, at });
  if (inserted) return { claimed: true, message: inserted };
  const existing = await getMessage(ctx, message);
  const abandoned =
    staleAfterMs !== undefined &&
    existing.ts === null &&
    existing.updatedAt.getTime() <= at.getTime() - staleAfterMs;
  if (!abandoned) return { claimed: false, message: existing };
  // Compare-and-set on the old claim time: of several processes taking over, one wins.
  const taken = await ctx.db
    .updateTable('chat_messages')
    .set({ channel: message.channel, updated_at: at.getTime() })
    .where('deployment_id', '=', message.deploymentId)
    .where('purpose', '=', message.purpose)
    .where('ts', 'is', null)
    .where('updated_at', '=', existing.updatedAt.getTime())
    .returningAll()
    .executeTakeFirst();
  if (taken) return { claimed: true, message: toChatMessage(taken) };
  return { claimed: false, message: await getMessage(ctx, message) };
}

export async function setMessageTs(
  ctx: StoreContext,
  message: MessageKey & { channel: string; ts: string; at?: Date },
): Promise<ChatMessageRecord | null> {
  // Only a reservation is completed: a message already recorded stays the one message.
  await ctx.db
    .updateTable('chat_messages')
    .set({
      channel: message.channel,
      ts: message.ts,
      updated_at: (message.at ?? ctx.now()).getTime(),
    })
    .where('deployment_id', '=', message.deploymentId)
    .where('purpose', '=', message.purpose)
    .where('ts', 'is', null)
    .execute();
  const row = await ctx.db
    .selectFrom('chat_messages')
    .selectAll()
    .where('deployment_id', '=', message.deploymentId)
    .where('purpose', '=', message.purpose)
    .executeTakeFirst();
  return row ? toChatMessage(row) : null;
}

export async function listMessages(
  ctx: StoreContext,
  deploymentId: string,
): Promise<ChatMessageRecord[]> {
  const rows = await ctx.db
    .selectFrom('chat_messages')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .orderBy('created_at')
    .orderBy('purpose')
    .execute();
  return rows.map(toChatMessage);
}

async function insertOrNothing(
  ctx: StoreContext,
  message: MessageKey & { channel: string; ts: string | null; at?: Date },
): Promise<ChatMessageRecord | null> {
  const at = (message.at ?? ctx.now()).getTime();
  try {
    const row = await ctx.db
      .insertInto('chat_messages')
      .values({
        deployment_id: message.deploymentId,
        purpose: message.purpose,
        channel: message.channel,
        ts: message.ts,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.columns(['deployment_id', 'purpose']).doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toChatMessage(row) : null;
  } catch (err) {
    if (ctx.dialect.violation(err) !== 'foreign_key') throw err;
    throw Object.assign(
      new NotFoundError(`deployment ${message.deploymentId} does not exist: check the id`),
      { cause: err },
    );
  }
}

async function getMessage(ctx: StoreContext, key: MessageKey): Promise<ChatMessageRecord> {
  const row = await ctx.db
    .selectFrom('chat_messages')
    .selectAll()
    .where('deployment_id', '=', key.deploymentId)
    .where('purpose', '=', key.purpose)
    .executeTakeFirstOrThrow();
  return toChatMessage(row);
}
