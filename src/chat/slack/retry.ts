import { ErrorCode, type RetryOptions, type WebAPIRateLimitedError } from '@slack/web-api';
import { ShutdownError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';

export interface RetryDeps {
  /** node-retry options, as the Web API client took them: `retries` counts every kind of wait. */
  retry: RetryOptions;
  /** Aborted when the process stops: a wait or a call under way ends at once, and none follows. */
  signal?: AbortSignal | undefined;
  /** Adds up the time spent waiting out rate limits (Retry-After), for metrics. */
  waited: { ms: number };
  /** The rate limit this call counts against (see RateGate). */
  gate: RateGate;
  random?: () => number;
}

/**
 * One of Slack's rate limits, as a client meets it: a method's, per workspace, or
 * chat.postMessage's, per channel (docs.slack.dev/apis/web-api/rate-limits). After a 429 every
 * call under that limit waits until Retry-After has passed, and then they go one at a time until
 * the ones waiting have gone through: released together, they met the limit again in a herd and
 * spent their retries on it. A limit of its own per method and channel, because one shared by
 * the whole client held chat.update and every other channel's posts behind one busy channel's.
 */
export interface RateGate {
  /** Until when (epoch ms) Slack asked these calls to wait. */
  until: number;
  /** A 429 came and calls still wait behind it: they go one at a time. */
  limited: boolean;
  /** Settles when the call ahead in line is done. */
  turn: Promise<void>;
  waiting: number;
}

export function rateGate(): RateGate {
  return { until: 0, limited: false, turn: Promise.resolve(), waiting: 0 };
}

/**
 * One Web API call, made by a client that neither retries nor waits out rate limits itself, with
 * the retries that client would have made: a rate limit after its Retry-After
 * (docs.slack.dev/apis/web-api/rate-limits), a 5xx, network error or timeout after node-retry's
 * backoff. They are made here because the client's own waits cannot be cut short: a stopping
 * server sat out Retry-After after Retry-After of conversations.history for more than 20 s. Here
 * the stop (`signal`) ends any wait and the call under way with a ShutdownError.
 */
export async function withRetries<T>(method: string, call: () => Promise<T>, deps: RetryDeps) {
  const { retry, signal, gate } = deps;
  const retries = retry.retries ?? 0;
  // Our place in line, held across this call's own retries, once the limit has been met.
  let release: (() => void) | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      abandonIfStopped(method, signal);
      if (gate.limited && !release) release = await inLine(method, gate, signal);
      if (gate.until > Date.now()) await sleep(gate.until - Date.now(), signal);
      abandonIfStopped(method, signal);
      try {
        const result = await untilStopped(method, call(), signal);
        // The line has drained: calls go together again.
        if (gate.waiting === 0) gate.limited = false;
        return result;
      } catch (err) {
        if (err instanceof ShutdownError) throw err;
        const limited = rateLimitMs(err);
        if (limited !== null) {
          // The call did nothing: wait as Slack asks, even before giving up, so that whoever
          // tries again next does not meet the same limit.
          deps.waited.ms += limited;
          gate.until = Math.max(gate.until, Date.now() + limited);
          gate.limited = true;
          await sleep(gate.until - Date.now(), signal);
          abandonIfStopped(method, signal);
          if (attempt >= retries) throw err;
          // Then the backoff as well, as node-retry added it after the client's wait: with
          // Retry-After alone, five retries of conversations.history (50 a minute) came within
          // 5 s and gave up where they had got through before.
          await sleep(backoffMs(retry, attempt, deps.random ?? Math.random), signal);
          continue;
        }
        if (!retryable(err) || attempt >= retries) throw err;
        await sleep(backoffMs(retry, attempt, deps.random ?? Math.random), signal);
      }
    }
  } finally {
    release?.();
  }
}

/** Waits for the calls ahead under a met limit; returns what lets the next one go. */
async function inLine(method: string, gate: RateGate, signal?: AbortSignal) {
  const ahead = gate.turn;
  let release = () => {};
  gate.turn = new Promise<void>((resolve) => {
    release = resolve;
  });
  gate.waiting++;
  try {
    await untilStopped(method, ahead, signal, 'was not sent');
  } catch (err) {
    // Stopping: the line behind us still waits for the ones ahead, not for us.
    void ahead.then(release);
    throw err;
  } finally {
    gate.waiting--;
  }
  return release;
}

function abandonIfStopped(method: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ShutdownError(`Slipway is stopping: ${method} was not sent`);
}

/** The call's outcome, or a ShutdownError as soon as the stop comes. */
function untilStopped<T>(
  method: string,
  call: Promise<T>,
  signal?: AbortSignal,
  what = 'was abandoned under way',
): Promise<T> {
  if (!signal) return call;
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new ShutdownError(`Slipway is stopping: ${method} ${what}`));
    signal.addEventListener('abort', stop, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

/** Retry-After in ms when Slack refused the call with a rate limit. */
function rateLimitMs(err: unknown): number | null {
  const e = err as Partial<WebAPIRateLimitedError> | null;
  if (e?.code !== ErrorCode.RateLimitedError || typeof e.retryAfter !== 'number') return null;
  return e.retryAfter * 1000;
}

/** What the Web API client retried: 5xx answers, network errors and timeouts. */
function retryable(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (e?.code === ErrorCode.RequestError) return true;
  return e?.code === ErrorCode.HTTPError && typeof e.statusCode === 'number' && e.statusCode >= 500;
}

/** node-retry's schedule (github.com/tim-kos/node-retry, `createTimeout`). */
function backoffMs(retry: RetryOptions, attempt: number, random: () => number): number {
  const min = retry.minTimeout ?? 1_000;
  const max = retry.maxTimeout ?? Number.POSITIVE_INFINITY;
  const jitter = retry.randomize ? random() + 1 : 1;
  return Math.min(max, Math.round(jitter * min * (retry.factor ?? 2) ** attempt));
}
