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

export function createDedupe(
  ttlMs = 15 * 60_000,
  max = 50_000,
  now: () => number = Date.now,
): Dedupe {
  const seen = new Map<string, number>();
  return {
    first(id) {
      const t = now();
      const at = seen.get(id);
      if (at !== undefined && t - at < ttlMs) return false;
      seen.set(id, t);
      // Map keeps insertion order: the oldest entries go first.
      for (const [key, when] of seen) {
        if (seen.size <= max && t - when < ttlMs) break;
        seen.delete(key);
      }
      return true;
    },
  };
}
