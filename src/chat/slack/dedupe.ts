/**
 * Remembers recent delivery ids so a retried Events API delivery (X-Slack-Retry-Num) or a
 * redelivered Socket Mode envelope is acknowledged but not acted on twice. Deploy requests are
 * also protected durably by idempotency keys in the store; this covers everything else within
 * one process.
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
