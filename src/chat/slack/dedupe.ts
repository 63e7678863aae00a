import { MAX_SKEW_SECONDS } from './verify.js';

/**
 * Remembers recent delivery ids so a retried Events API delivery (X-Slack-Retry-Num) or a
 * redelivered Socket Mode envelope is acknowledged but not acted on twice. It is the first,
 * cheap check, within one process; `durableDedupe` carries the same answer across restarts
 * and replicas for signed HTTP deliveries.
 */
export interface Dedupe {
  /** True the first time `id` is seen within the window. */
  first(id: string): boolean;
}

/**
 * Keeps at most `max` ids, each for `ttlMs`. Eviction reads a queue in arrival order rather
 * than iterating the Map: a Map's iterator walks over the holes its deletions leave until it
 * is rehashed, which at 50,000 ids cost a full-speed command stream a few percent of a core.
 */
export function createDedupe(
  ttlMs = 15 * 60_000,
  max = 50_000,
  now: () => number = Date.now,
): Dedupe {
  const seen = new Map<string, number>();
  // Arrival order; an id seen again after it expired appears twice, and only the entry whose
  // time matches the Map's is current.
  let ids: string[] = [];
  let times: number[] = [];
  let head = 0;
  return {
    first(id) {
      const t = now();
      const at = seen.get(id);
      if (at !== undefined && t - at < ttlMs) return false;
      seen.set(id, t);
      ids.push(id);
      times.push(t);
      while (head < ids.length && (seen.size > max || t - (times[head] as number) >= ttlMs)) {
        const oldest = ids[head] as string;
        if (seen.get(oldest) === times[head]) seen.delete(oldest);
        head++;
      }
      if (head > 1024 && head * 2 > ids.length) {
        ids = ids.slice(head);
        times = times.slice(head);
        head = 0;
      }
      return true;
    },
  };
}

/** The same question as `Dedupe`, answered by a record every process shares (the store). */
export interface DurableDedupe {
  first(id: string): Promise<boolean>;
}

/**
 * A signed request verifies while its timestamp is within 5 minutes of the receiver's clock
 * either way (verify.ts), so one accepted now can be replayed for at most twice that; Slack's
 * own retries of an event (after 1 and 5 minutes) fall inside it too.
 */
export const REPLAY_WINDOW_MS = 2 * MAX_SKEW_SECONDS * 1000;

export function durableDedupe(
  store: { markDelivered(key: string, expiresAt: Date): Promise<boolean> },
  ttlMs = REPLAY_WINDOW_MS,
  now: () => number = Date.now,
): DurableDedupe {
  return { first: (id) => store.markDelivered(id, new Date(now() + ttlMs)) };
}
