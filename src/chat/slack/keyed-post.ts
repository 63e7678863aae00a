import type { MessageMetadata } from '@slack/types';
import type { RetryOptions } from '@slack/web-api';
import type { Logger } from 'pino';
import { PostOutcomeUnknownError, RetryableError, withCause } from '../../core/errors.js';
import { sleep as realSleep } from '../../core/sleep.js';
import type { MessageKey, MessageRef } from '../types.js';
import type { HistoryPage } from './web-api-schema.js';

/**
 * Keyed messages carry Slack message metadata (docs.slack.dev/messaging/message-metadata):
 * chat.postMessage stores it, conversations.history returns it with `include_all_metadata`.
 */
export const METADATA_EVENT_TYPE = 'slipway_message';

export function messageMetadata(key: MessageKey): MessageMetadata {
  return {
    event_type: METADATA_EVENT_TYPE,
    event_payload: { subject: key.subject, purpose: key.purpose },
  };
}

/**
 * Slack's clock and ours differ a little, and a post may be stored a moment before the call
 * that made it started, as Slack sees time: look this much further back than asked.
 */
const LOOK_BACK_MS = 60_000;
/** The window is short, so one page nearly always holds it; a busy channel gets a few more. */
export const HISTORY_PAGE_SIZE = 200;
const MAX_PAGES = 5;

export interface KeyedPostDeps {
  /** One chat.postMessage with the key's metadata, not retried by the Web API client. */
  postOnce(): Promise<MessageRef>;
  /** One page of conversations.history with metadata, from `oldest` (a Slack ts). */
  history(page: { oldest: string; cursor?: string }): Promise<HistoryPage>;
  retry: RetryOptions;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Posts a keyed top-level message at most once across client timeouts. A timeout or 5xx does
 * not say whether Slack stored the message, so before posting again the channel's recent
 * history is searched for the key, and a message found there is adopted. Only a rate limit
 * proves nothing was posted; it is retried without looking.
 */
export async function postByKey(
  deps: KeyedPostDeps,
  channel: string,
  key: MessageKey,
  mayExistSince?: Date,
): Promise<MessageRef> {
  const sleep = deps.sleep ?? realSleep;
  const retries = deps.retry.retries ?? 0;
  let since = mayExistSince;
  for (let attempt = 0; ; attempt++) {
    const startedAt = new Date();
    try {
      if (since) {
        const found = await findByKey(deps, channel, key, since);
        if (found) return found;
      }
      return await deps.postOnce();
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      if (attempt >= retries) {
        // Given up after a call of unknown outcome: the caller's next try must look first.
        if (!since) throw err;
        const unknown = new PostOutcomeUnknownError(err.message, since, err.retryAfterMs);
        throw withCause(unknown, err);
      }
      const rateLimited = err.retryAfterMs !== undefined;
      if (!rateLimited) since ??= startedAt;
      // Slack's limits are part of posting (a burst to one channel meets its one message a
      // second), counted by slipway_chat_rate_limited_calls_total: not a warning each time.
      if (rateLimited)
        deps.log?.info(
          { channel, key, attempt, retryAfterMs: err.retryAfterMs, why: err.message },
          'posting a chat message was rate-limited; trying again',
        );
      else
        deps.log?.warn(
          { err, channel, key, attempt, lookFirst: since !== undefined },
          'posting a chat message failed; trying again',
        );
      // A rate limit was already waited out by the client before it gave up (withRetries).
      if (!rateLimited) await sleep(backoffMs(deps.retry, attempt));
    }
  }
}

async function findByKey(
  deps: KeyedPostDeps,
  channel: string,
  key: MessageKey,
  since: Date,
): Promise<MessageRef | null> {
  const oldest = ((since.getTime() - LOOK_BACK_MS) / 1000).toFixed(6);
  let cursor: string | undefined;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await deps.history({ oldest, ...(cursor ? { cursor } : {}) });
      const found = result.messages.find((m) => matches(m.metadata, key));
      if (found) {
        deps.log?.info(
          { channel, key, ts: found.ts },
          'found the chat message an earlier call posted',
        );
        return { channel, ts: found.ts };
      }
      cursor = result.response_metadata?.next_cursor;
      if (!result.has_more || !cursor) return null;
    }
    return null;
  } catch (err) {
    if (err instanceof RetryableError) throw err;
    // Without history access (a missing scope) a second message beats a missing one.
    deps.log?.warn({ err, channel, key }, 'cannot look for an earlier post; posting again');
    return null;
  }
}

function matches(metadata: HistoryPage['messages'][number]['metadata'], key: MessageKey): boolean {
  const payload = metadata?.event_payload;
  // Posts made before alerts were keyed too named their deployment `deployment_id`.
  const subject = payload?.subject ?? payload?.deployment_id;
  return (
    metadata?.event_type === METADATA_EVENT_TYPE &&
    subject === key.subject &&
    payload?.purpose === key.purpose
  );
}

/** node-retry's schedule, as the Web API client would have used it (without jitter). */
function backoffMs(retry: RetryOptions, attempt: number): number {
  const min = retry.minTimeout ?? 1_000;
  const max = retry.maxTimeout ?? Number.POSITIVE_INFINITY;
  return Math.min(max, min * (retry.factor ?? 2) ** attempt);
}
