import type { Logger } from 'pino';
import {
  ForbiddenError,
  NotFoundError,
  PostOutcomeUnknownError,
  RetryableError,
  UnauthorizedError,
} from '../../core/errors.js';
import { type MessageSubject, subjectKey } from '../../core/message-subject.js';
import type { PostedMessageKey, Store } from '../../store/types.js';
import type { ChatClient, MessageRef, MessageView } from '../types.js';

export type ReservationStore = Pick<
  Store,
  'reservePostedMessage' | 'takeOverPostedMessage' | 'completePostedMessage'
>;

export interface ReservationDeps {
  chat: ChatClient;
  store: ReservationStore;
  log: Logger;
  /** A reservation without a posted message this old was abandoned by a dead process. */
  staleClaimMs: number;
}

/** Where a message goes: a channel, or a person's direct messages. */
export type Destination = { channel: string } | { user: string };

export interface ReservationKey {
  subject: MessageSubject;
  purpose: string;
  to: Destination;
  /** The message, when it is known to exist already (from the store, after a restart). */
  known?: MessageRef;
}

/**
 * Another process reserved the message and has not recorded it yet: not a failure, a reason to
 * wait until it does (or until its reservation goes stale and is ours to take over).
 */
export class PostedElsewhere extends RetryableError {}

/** The store's key of a message: a direct message's is the person, known before the channel. */
export function keyOf(key: Omit<ReservationKey, 'known'>): PostedMessageKey {
  const address = 'channel' in key.to ? key.to.channel : `dm:${key.to.user}`;
  return { subject: key.subject, purpose: key.purpose, address };
}

/**
 * The posting half of a posted message: posted once, whatever happens between the post and
 * its record. The store row is reserved before posting, so neither a retry nor another replica
 * posts a second one; the post is keyed, so a post whose outcome was unknown (ours, or that of
 * a process that died while posting) is looked for and adopted before posting again; a post
 * that lost to another one (our reservation was taken over meanwhile) gives way to theirs.
 */
export function createReservation(deps: ReservationDeps, key: ReservationKey) {
  const { chat, store, log } = deps;
  const stored = keyOf(key);
  const platformKey = { subject: subjectKey(key.subject), purpose: key.purpose };
  let ref: MessageRef | null = key.known ?? null;
  let recorded = ref !== null;
  let reserved = false;
  // Since when a post of this message may have landed unseen: a call of ours whose outcome was
  // unknown, or the process whose abandoned reservation we took over. The next post looks first.
  let mayExistSince: Date | null = null;

  const channelOf = (): Promise<string> =>
    'channel' in key.to ? Promise.resolve(key.to.channel) : chat.openDirect(key.to.user);

  /** Ours to post; or the message another process recorded; or PostedElsewhere. */
  async function reserve(channel: string): Promise<void> {
    const claim = await store.reservePostedMessage({ ...stored, channel });
    const { ts } = claim.message;
    if (ts !== null) {
      ref = { channel: claim.message.channel, ts };
      recorded = true;
      return;
    }
    if (claim.reserved) {
      reserved = true;
      return;
    }
    const taken = await store.takeOverPostedMessage({ ...stored, channel }, deps.staleClaimMs);
    if (!taken) throw new PostedElsewhere(`another process is posting the ${key.purpose} message`);
    reserved = true;
    mayExistSince = taken.createdAt;
  }

  async function record(): Promise<void> {
    if (!ref) return;
    const row = await store.completePostedMessage({ ...stored, ...ref });
    recorded = true;
    if (row?.ts && row.ts !== ref.ts) {
      // Our reservation was taken over while we posted: theirs is the message; ours is a stray.
      log.warn(
        { purpose: key.purpose, stray: ref, kept: row.ts },
        'a second chat message was posted',
      );
      ref = { channel: row.channel, ts: row.ts };
    }
  }

  return {
    ref: (): MessageRef | null => ref,
    /** Posts the message with `view`, or updates it: which one it did. */
    async deliver(view: MessageView): Promise<'posted' | 'updated'> {
      if (!ref) {
        const channel = await channelOf();
        if (!reserved) await reserve(channel);
        if (!ref) {
          const startedAt = new Date();
          try {
            ref = await chat.post(channel, view, {
              key: platformKey,
              ...(mayExistSince ? { mayExistSince } : {}),
            });
          } catch (err) {
            mayExistSince ??= landedSince(err, startedAt);
            throw err;
          }
          const posted = ref;
          await record();
          if (ref === posted) return 'posted';
        }
      }
      if (!recorded) await record();
      await update(ref, view);
      return 'updated';
    },
  };

  async function update(at: MessageRef, view: MessageView): Promise<void> {
    try {
      await chat.update(at, view);
    } catch (err) {
      // Someone deleted the message: nothing to update, and posting again would surprise.
      if (!(err instanceof NotFoundError)) throw err;
      log.warn({ err, purpose: key.purpose, ref: at }, 'the chat message is gone; not updated');
    }
  }
}

export type Reservation = ReturnType<typeof createReservation>;

/**
 * Since when a post that failed may have landed all the same, or null when the platform refused
 * it: looking for it costs a history read, which has a rate limit of its own (50 a minute on
 * Slack), and a backlog of posts refused by the post limit must not spend it.
 */
function landedSince(err: unknown, startedAt: Date): Date | null {
  if (err instanceof PostOutcomeUnknownError) return err.since;
  if (err instanceof RetryableError && err.retryAfterMs !== undefined) return null;
  const refused =
    err instanceof NotFoundError ||
    err instanceof ForbiddenError ||
    err instanceof UnauthorizedError;
  return refused ? null : startedAt;
}

/**
 * Records an existing message as this key's, unless the key has one or another process is
 * recording it: a newer build takes over the messages of the review it replaces. Returns the
 * key's message, or null while another process records it.
 */
export async function adoptMessage(
  store: ReservationStore,
  key: Omit<ReservationKey, 'known'>,
  message: MessageRef,
  staleClaimMs: number,
): Promise<MessageRef | null> {
  const stored = keyOf(key);
  const claim = await store.reservePostedMessage({ ...stored, channel: message.channel });
  if (claim.message.ts !== null) return { channel: claim.message.channel, ts: claim.message.ts };
  const ours =
    claim.reserved ||
    (await store.takeOverPostedMessage({ ...stored, channel: message.channel }, staleClaimMs));
  if (!ours) return null;
  const row = await store.completePostedMessage({ ...stored, ...message });
  return row?.ts ? { channel: row.channel, ts: row.ts } : message;
}
