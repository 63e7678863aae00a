import type { Logger } from 'pino';
import { RetryableError, SlipwayError } from '../core/errors.js';
import type { Store } from '../store/types.js';
import type { ChatClient, MessageRef, MessageView } from './types.js';

/** How a slot paces and retries its calls; see NotifierOptions. */
export interface SlotTiming {
  minIntervalMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  staleClaimMs: number;
}

export interface SlotDeps {
  chat: ChatClient;
  store: Pick<Store, 'claimMessage' | 'setMessageTs'>;
  log: Logger;
  timing: SlotTiming;
}

/** Renders the view to show now; `posted` says whether the message exists yet. Null: nothing. */
export type Render = (posted: boolean) => Promise<MessageView | null>;

export interface MessageSlot {
  readonly purpose: string;
  /** The latest render wins; it runs when the call is made, so it shows the latest data. */
  show(render: Render): void;
  /** A thread reply under this message, posted (in order) once the message exists. */
  reply(view: MessageView): void;
  ref(): MessageRef | null;
  /** Whether anything is waiting or under way. */
  busy(): boolean;
  /** Delivers what is waiting now, without waiting out the interval (shutdown). */
  flush(): Promise<void>;
  close(): void;
}

/** Another process reserved the message and has not recorded it yet: wait for it to. */
class PostedElsewhere extends RetryableError {}

/**
 * One chat message of a deployment, kept up to date: posted once (the store row is reserved
 * first, so neither a retry nor another replica posts a second one), then updated in place at
 * most once per `minIntervalMs`, the latest view winning. Failed calls are retried with backoff.
 *
 * Replicas keep the same message from their own events, and an update can wait out a rate
 * limit after its view was rendered: a view rendered before another replica's change could
 * land after it. So each delivered view is rendered once more an interval later, and sent again
 * if the store moved on meanwhile; the last call to land is always followed by a look that
 * found nothing newer.
 */
export function createMessageSlot(
  deps: SlotDeps,
  key: {
    deploymentId: string;
    purpose: string;
    channel: () => Promise<string>;
    known?: MessageRef;
  },
): MessageSlot {
  const { chat, store, log, timing } = deps;
  let ref: MessageRef | null = key.known ?? null;
  let recorded = ref !== null;
  let claimed = false;
  // Since when a post of this message may have landed unseen: a call of ours whose outcome was
  // unknown, or the process whose abandoned reservation we took over. The next post looks first.
  let mayExistSince: Date | null = null;
  let pending: Render | null = null;
  const replies: MessageView[] = [];
  let lastShown = '';
  let nextAt = 0;
  let attempts = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let closed = false;

  const hasWork = () => pending !== null || (ref !== null && replies.length > 0);

  function schedule(): void {
    if (closed || running || timer || !hasWork()) return;
    timer = setTimeout(run, Math.max(0, nextAt - Date.now()));
  }

  function run(): void {
    timer = null;
    running = step().finally(() => {
      running = null;
      schedule();
    });
  }

  async function step(): Promise<void> {
    // Once the message exists, replies go before the next render: a reply says what happened
    // (an approval), the render what followed from it (deploying, deployed), and a reader sees
    // them in that order. Before the message exists, the render posts it first.
    if (ref && replies[0]) {
      const reply = replies[0];
      try {
        await chat.post(ref.channel, reply, { threadTs: ref.ts });
        replies.shift();
        nextAt = Date.now() + timing.minIntervalMs;
        attempts = 0;
      } catch (err) {
        failed(err, null);
      }
      return;
    }
    const render = pending;
    pending = null;
    try {
      if (render) {
        const view = await render(ref !== null);
        const text = view ? JSON.stringify(view) : lastShown;
        if (view && text !== lastShown) {
          await deliver(view);
          lastShown = text;
          nextAt = Date.now() + timing.minIntervalMs;
          pending ??= render;
        }
      }
      attempts = 0;
    } catch (err) {
      failed(err, render);
    }
  }

  function failed(err: unknown, render: Render | null): void {
    if (err instanceof PostedElsewhere) {
      // Not a failure: it ends when they record their message, or when their reservation goes
      // stale (staleClaimMs) and ours is granted.
      if (render && pending === null) pending = render;
      nextAt = Date.now() + Math.min(timing.retryMaxMs, timing.retryBaseMs * 4);
      return;
    }
    attempts++;
    const retryable = err instanceof RetryableError || !(err instanceof SlipwayError);
    if (retryable && attempts < timing.maxAttempts) {
      // A newer render replaces the failed one; otherwise the same one is tried again.
      if (render && pending === null) pending = render;
      const backoff = Math.min(timing.retryMaxMs, timing.retryBaseMs * 2 ** (attempts - 1));
      const after = err instanceof RetryableError ? (err.retryAfterMs ?? 0) : 0;
      nextAt = Date.now() + Math.max(backoff, after);
      log.warn({ err, purpose: key.purpose, attempts }, 'chat message call failed; retrying');
      return;
    }
    log.error({ err, purpose: key.purpose, attempts }, 'chat message call failed; giving up');
    attempts = 0;
    if (!render) replies.shift();
  }

  async function deliver(view: MessageView): Promise<void> {
    if (!ref) {
      const channel = await key.channel();
      if (!claimed) {
        const claim = await store.claimMessage(
          { deploymentId: key.deploymentId, purpose: key.purpose, channel },
          timing.staleClaimMs,
        );
        const { ts } = claim.message;
        if (ts !== null) {
          ref = { channel: claim.message.channel, ts };
          recorded = true;
        } else if (!claim.claimed) {
          throw new PostedElsewhere(`another process is posting the ${key.purpose} message`);
        } else {
          claimed = true;
          if (takenOver(claim.message)) mayExistSince = claim.message.createdAt;
        }
      }
      if (!ref) {
        const since = mayExistSince;
        mayExistSince ??= new Date();
        ref = await chat.post(channel, view, {
          key: { subject: key.deploymentId, purpose: key.purpose },
          ...(since ? { mayExistSince: since } : {}),
        });
        await record();
        return;
      }
    }
    if (!recorded) await record();
    await chat.update(ref, view);
  }

  async function record(): Promise<void> {
    if (!ref) return;
    const row = await store.setMessageTs({
      deploymentId: key.deploymentId,
      purpose: key.purpose,
      ...ref,
    });
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
    purpose: key.purpose,
    show(render) {
      pending = render;
      // A waiting timer was set from an earlier cause (a look again after the last update): set
      // it anew, at the same time, so the call runs in this cause's context (its trace).
      if (timer) clearTimeout(timer);
      timer = null;
      schedule();
    },
    reply(view) {
      replies.push(view);
      schedule();
    },
    ref: () => ref,
    busy: () => running !== null || timer !== null || hasWork(),
    async flush() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      for (let tries = 0; hasWork() && tries < 3 * (replies.length + 1); tries++) {
        const before = attempts;
        running = step();
        await running;
        running = null;
        if (attempts > before) await sleep(timing.retryBaseMs);
      }
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/** A reservation re-granted after it went stale carries its first claim time still. */
function takenOver(row: { createdAt: Date; updatedAt: Date }): boolean {
  return row.createdAt.getTime() !== row.updatedAt.getTime();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
