import { NotFoundError } from '../core/errors.js';
import { type MessageSubject, subjectKey } from '../core/message-subject.js';
import type { StoreContext } from './context.js';
import { toPostedMessage } from './rows.js';
import type { PostedMessageKey, PostedMessageRecord } from './types.js';

export async function reservePostedMessage(
  ctx: StoreContext,
  key: PostedMessageKey & { channel: string; at?: Date },
): Promise<{ reserved: boolean; message: PostedMessageRecord }> {
  const at = (key.at ?? ctx.now()).getTime();
  try {
    const inserted = await ctx.db
      .insertInto('posted_messages')
      .values({
        ...keyColumns(key),
        ...subjectColumns(key.subject),
        channel: key.channel,
        ts: null,
        claimed_at: at,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.columns(['subject', 'purpose', 'address']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { reserved: true, message: toPostedMessage(inserted) };
  } catch (err) {
    if (ctx.dialect.violation(err) !== 'foreign_key') throw err;
    throw Object.assign(new NotFoundError(missing(key.subject)), {
      cause: err,
    });
  }
  const existing = await selectMessage(ctx, key);
  if (!existing) throw new Error(`the message ${key.purpose} vanished while it was reserved`);
  return { reserved: false, message: existing };
}

export async function takeOverPostedMessage(
  ctx: StoreContext,
  key: PostedMessageKey & { channel: string; at?: Date },
  staleAfterMs: number,
): Promise<PostedMessageRecord | null> {
  const at = (key.at ?? ctx.now()).getTime();
  // One statement: the first process to take it over moves claimed_at past the cut-off, so the
  // others' updates match nothing.
  const row = await ctx.db
    .updateTable('posted_messages')
    .where((eb) => eb.and(keyColumns(key)))
    .set({ channel: key.channel, claimed_at: at, updated_at: at })
    .where('ts', 'is', null)
    .where('claimed_at', '<=', at - staleAfterMs)
    .returningAll()
    .executeTakeFirst();
  return row ? toPostedMessage(row) : null;
}

export async function completePostedMessage(
  ctx: StoreContext,
  key: PostedMessageKey & { channel: string; ts: string; at?: Date },
): Promise<PostedMessageRecord | null> {
  // Only a reservation is completed: a message already recorded stays the one message.
  await ctx.db
    .updateTable('posted_messages')
    .where((eb) => eb.and(keyColumns(key)))
    .set({ channel: key.channel, ts: key.ts, updated_at: (key.at ?? ctx.now()).getTime() })
    .where('ts', 'is', null)
    .execute();
  return selectMessage(ctx, key);
}

export async function listPostedMessages(
  ctx: StoreContext,
  subject: MessageSubject,
): Promise<PostedMessageRecord[]> {
  const rows = await ctx.db
    .selectFrom('posted_messages')
    .selectAll()
    .where('subject', '=', subjectKey(subject))
    .orderBy('created_at')
    .orderBy('purpose')
    .orderBy('address')
    .execute();
  return rows.map(toPostedMessage);
}

export async function findPostedMessages(
  ctx: StoreContext,
  ref: { channel: string; ts: string },
): Promise<PostedMessageRecord[]> {
  const rows = await ctx.db
    .selectFrom('posted_messages')
    .selectAll()
    .where('channel', '=', ref.channel)
    .where('ts', '=', ref.ts)
    .orderBy('created_at', 'desc')
    .orderBy('subject')
    .orderBy('purpose')
    .execute();
  return rows.map(toPostedMessage);
}

function keyColumns(key: PostedMessageKey) {
  return { subject: subjectKey(key.subject), purpose: key.purpose, address: key.address };
}

function subjectColumns(subject: MessageSubject) {
  switch (subject.kind) {
    case 'deployment':
      return { deployment_id: subject.deploymentId, alert_group_id: null, alert_episode: null };
    case 'alert':
      return {
        deployment_id: null,
        alert_group_id: subject.groupId,
        alert_episode: subject.episode,
      };
    case 'digest':
      // Nothing to go with: a digest is about a week, kept for as long as the table keeps rows.
      return { deployment_id: null, alert_group_id: null, alert_episode: null };
  }
}

async function selectMessage(
  ctx: StoreContext,
  key: PostedMessageKey,
): Promise<PostedMessageRecord | null> {
  const row = await ctx.db
    .selectFrom('posted_messages')
    .selectAll()
    .where((eb) => eb.and(keyColumns(key)))
    .executeTakeFirst();
  return row ? toPostedMessage(row) : null;
}

function missing(subject: MessageSubject): string {
  switch (subject.kind) {
    case 'deployment':
      return `deployment ${subject.deploymentId} does not exist: check the id`;
    case 'alert':
      return `alert group ${subject.groupId} has no episode ${subject.episode}: save the group first`;
    case 'digest':
      return `the digest of ${subject.week} could not be reserved`;
  }
}
