import type { RateScenario, RateWindow } from './schema.js';

/**
 * Teams' "per bot per thread" limits (learn.microsoft.com/microsoftteams/platform/bots/how-to/
 * rate-limit): a thread is a 1:1 chat, a group chat or a channel, and each scenario allows so
 * many operations in each of several windows. Over any window the call is answered 429 with
 * Retry-After. Teams says the values are "for estimation only" and may change.
 */
export const PER_BOT_PER_THREAD: Readonly<Record<RateScenario, readonly RateWindow[]>> = {
  sendToConversation: [
    { seconds: 1, max: 7 },
    { seconds: 2, max: 8 },
    { seconds: 30, max: 60 },
    { seconds: 3600, max: 1800 },
  ],
  createConversation: [
    { seconds: 1, max: 7 },
    { seconds: 2, max: 8 },
    { seconds: 30, max: 60 },
    { seconds: 3600, max: 1800 },
  ],
  getMembers: [
    { seconds: 1, max: 14 },
    { seconds: 2, max: 16 },
    { seconds: 30, max: 120 },
    { seconds: 3600, max: 3600 },
  ],
  getConversations: [
    { seconds: 1, max: 14 },
    { seconds: 2, max: 16 },
    { seconds: 30, max: 120 },
    { seconds: 3600, max: 3600 },
  ],
};

/** "The global limit per app per tenant is 30 Requests Per Second" (same page). */
const PER_APP_PER_TENANT: readonly RateWindow[] = [{ seconds: 1, max: 30 }];

export type RateDecision = { ok: true } | { ok: false; retryAfterSec: number };

export interface RateLimiter {
  /** Counts one operation on this thread, or says how long to wait (whole seconds, ≥ 1). */
  take(scenario: RateScenario, thread: string): RateDecision;
  reset(): void;
}

/** A sliding log per key; on a monotonic clock so a test's fake wall clock cannot stall it. */
export function createRateLimiter(
  overrides: false | Partial<Record<RateScenario, RateWindow[]>>,
  now: () => number = () => performance.now(),
): RateLimiter {
  const logs = new Map<string, number[]>();

  function wait(key: string, windows: readonly RateWindow[], t: number): number {
    const longest = Math.max(...windows.map((w) => w.seconds)) * 1000;
    const log = (logs.get(key) ?? []).filter((at) => at > t - longest);
    logs.set(key, log);
    let waitMs = 0;
    for (const w of windows) {
      const inWindow = log.filter((at) => at > t - w.seconds * 1000);
      if (inWindow.length < w.max) continue;
      // The call may go once the oldest of the last `max` calls leaves the window.
      const oldest = inWindow[inWindow.length - w.max] ?? t;
      waitMs = Math.max(waitMs, oldest + w.seconds * 1000 - t);
    }
    return waitMs;
  }

  return {
    take(scenario, thread) {
      if (overrides === false) return { ok: true };
      const t = now();
      const keys: Array<[string, readonly RateWindow[]]> = [
        [`${scenario}:${thread}`, overrides[scenario] ?? PER_BOT_PER_THREAD[scenario]],
        ['app', PER_APP_PER_TENANT],
      ];
      const waitMs = Math.max(...keys.map(([key, windows]) => wait(key, windows, t)));
      if (waitMs > 0) return { ok: false, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) };
      for (const [key] of keys) logs.get(key)?.push(t);
      return { ok: true };
    },
    reset() {
      logs.clear();
    },
  };
}
