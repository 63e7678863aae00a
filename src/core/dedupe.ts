/**
 * Remembers recent delivery ids so that a delivery sent again (Slack's Events API retries, a
 * redelivered Socket Mode envelope, GitHub's redeliveries) is answered but not acted on twice.
 * It is the first, cheap check, within one process; `durableDedupe` carries the same answer
 * across restarts and replicas for signed deliveries, which whoever captured one can replay.
 */
export interface Dedupe {
  /** True the first time `id` is seen within the window. */
  first(id: string): boolean;
}

/**
 * Keeps at most `max` ids, each for `ttlMs` (Infinity: until `max` pushes it out). Eviction reads a queue in arrival order rather
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

/**
 * The same question as `Dedupe`, answered by a record every process shares (the store). Each
 * id is kept for `forMs`: as long as the delivery could be replayed (its signature's window).
 */
export interface DurableDedupe {
  first(id: string, forMs: number): Promise<boolean>;
}

export function durableDedupe(
  store: { markDelivered(key: string, expiresAt: Date): Promise<boolean> },
  now: () => number = Date.now,
): DurableDedupe {
  return { first: (id, forMs) => store.markDelivered(id, new Date(now() + forMs)) };
}
