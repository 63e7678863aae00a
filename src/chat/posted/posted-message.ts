import type { Logger } from 'pino';
import { RetryableError, SlipwayError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import type { MessageRef, MessageView } from '../types.js';
import {
  createReservation,
  PostedElsewhere,
  type ReservationDeps,
  type ReservationKey,
} from './reservation.js';

/** How a posted message paces and retries its calls. */
export interface PostedTiming {
  /** At most one call per message per this many ms (Slack: about one message a second). */
  minIntervalMs: number;
  /** Tries per view or reply before giving up on it; 1 when the caller retries (a webhook). */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A reservation without a posted message this old was abandoned by a dead process. */
  staleClaimMs: number;
  /**
   * How long a view waits for another process that is posting the message before it is given
   * up (Infinity: as long as that takes).
   */
  waitForPosterMs: number;
}

export interface PostedDeps {
  chat: ReservationDeps['chat'];
  store: ReservationDeps['store'];
  log: Logger;
  timing: PostedTiming;
}

/** Renders the view to show now; `posted` says whether the message exists yet. Null: nothing. */
export type Render = (posted: boolean) => Promise<MessageView | null>;

/** How a `show` ended: with its view or a later one delivered, unchanged, nothing, or failed. */
export type Shown =
  | { outcome: 'posted' | 'updated' | 'unchanged'; ref: MessageRef }
  | { outcome: 'nothing' }
  | { outcome: 'failed'; error: unknown };

export interface PostedMessage {
  readonly purpose: string;
  /**
   * The latest render wins; it runs when the call is made, so it shows the latest data. Resolves
   * (never rejects) once this render, or a later one that replaced it, was delivered or given up.
   */
  show(render: Render): Promise<Shown>;
  /** A thread reply under this message, posted (in order) once the message exists. */
  reply(view: MessageView): void;
  ref(): MessageRef | null;
  /** Whether anything is waiting or under way. */
  busy(): boolean;
  /** Delivers what is waiting now, without waiting out the interval (shutdown). */
  flush(): Promise<void>;
  close(): void;
}

/**
 * One chat message, kept up to date: posted once (see createReservation), then updated in place
 * at most once per `minIntervalMs`, the latest view winning. Failed calls are retried with
 * backoff. Thread replies waiting go before the next update, so "approved" comes before
 * "deployed".
 *
 * Replicas keep the same message from their own events, and an update can wait out a rate
 * limit after its view was rendered: a view rendered before another replica's change could
 * land after it. So each delivered view is rendered once more an interval later, and sent again
 * if the store moved on meanwhile; the last call to land is always followed by a look that
 * found nothing newer.
 */
export function createPostedMessage(deps: PostedDeps, key: ReservationKey): PostedMessage {
  const { log, timing } = deps;
  const message = createReservation({ ...deps, staleClaimMs: timing.staleClaimMs }, key);
  let pending: Render | null = null;
  // Callers of `show` whose render is pending: answered when it (or a later one) is delivered.
  let waiting: ((shown: Shown) => void)[] = [];
  const replies: MessageView[] = [];
  let lastShown = '';
  let nextAt = 0;
  let attempts = 0;
  let posterSince: number | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let closed = false;

  const hasWork = () => pending !== null || (message.ref() !== null && replies.length > 0);

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
    const ref = message.ref();
    if (ref && replies[0]) {
      const reply = replies[0];
      try {
        await deps.chat.post(ref.channel, reply, { threadTs: ref.ts });
        replies.shift();
        nextAt = Date.now() + timing.minIntervalMs;
        attempts = 0;
      } catch (err) {
        failed(err, null, []);
      }
      return;
    }
    const render = pending;
    const answers = waiting;
    pending = null;
    waiting = [];
    if (!render) return;
    try {
      answer(answers, await present(render));
      attempts = 0;
      posterSince = null;
    } catch (err) {
      failed(err, render, answers);
    }
  }

  async function present(render: Render): Promise<Shown> {
    const view = await render(message.ref() !== null);
    if (!view) return { outcome: 'nothing' };
    const text = JSON.stringify(view);
    const before = message.ref();
    if (text === lastShown && before) return { outcome: 'unchanged', ref: before };
    const outcome = await message.deliver(view);
    lastShown = text;
    nextAt = Date.now() + timing.minIntervalMs;
    pending ??= render;
    return { outcome, ref: message.ref() as MessageRef };
  }

  function failed(err: unknown, render: Render | null, answers: ((s: Shown) => void)[]): void {
    // Closed (a stop gave up on it): nothing is tried again, and its abandoned call is no news.
    if (closed) {
      answer(answers, { outcome: 'failed', error: err });
      return;
    }
    const elsewhere = err instanceof PostedElsewhere;
    posterSince = elsewhere ? (posterSince ?? Date.now()) : null;
    const retry = elsewhere ? waitedLess() : tryAgain(err);
    if (!retry) {
      attempts = 0;
      posterSince = null;
      answer(answers, { outcome: 'failed', error: err });
      if (!render) replies.shift();
      return;
    }
    // A newer render replaces the failed one; otherwise the same one is tried again.
    if (render && pending === null) pending = render;
    waiting.unshift(...answers);
  }

  /** Not a failure: it ends when they record their message, or their reservation goes stale. */
  function waitedLess(): boolean {
    if (Date.now() - (posterSince ?? Date.now()) >= timing.waitForPosterMs) {
      log.warn({ purpose: key.purpose }, 'another process is still posting the chat message');
      return false;
    }
    nextAt = Date.now() + Math.min(timing.retryMaxMs, timing.retryBaseMs * 4);
    return true;
  }

  function tryAgain(err: unknown): boolean {
    attempts++;
    const retryable = err instanceof RetryableError || !(err instanceof SlipwayError);
    if (!retryable || attempts >= timing.maxAttempts) {
      const level = timing.maxAttempts > 1 ? 'error' : 'warn';
      log[level]({ err, purpose: key.purpose, attempts }, 'chat message call failed; giving up');
      return false;
    }
    const backoff = Math.min(timing.retryMaxMs, timing.retryBaseMs * 2 ** (attempts - 1));
    const after = err instanceof RetryableError ? (err.retryAfterMs ?? 0) : 0;
    nextAt = Date.now() + Math.max(backoff, after);
    log.warn({ err, purpose: key.purpose, attempts }, 'chat message call failed; retrying');
    return true;
  }

  return {
    purpose: key.purpose,
    show(render) {
      if (closed) return Promise.resolve({ outcome: 'nothing' });
      pending = render;
      const shown = new Promise<Shown>((resolve) => waiting.push(resolve));
      // A waiting timer was set from an earlier cause (a look again after the last update): set
      // it anew, at the same time, so the call runs in this cause's context (its trace).
      if (timer) clearTimeout(timer);
      timer = null;
      schedule();
      return shown;
    },
    reply(view) {
      replies.push(view);
      schedule();
    },
    ref: () => message.ref(),
    busy: () => running !== null || timer !== null || hasWork(),
    async flush() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      for (let tries = 0; !closed && hasWork() && tries < 3 * (replies.length + 1); tries++) {
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
      // Nothing more is delivered: whoever still waits hears so.
      answer(waiting.splice(0), { outcome: 'nothing' });
    },
  };
}

function answer(answers: ((shown: Shown) => void)[], shown: Shown): void {
  for (const resolve of answers) resolve(shown);
}
