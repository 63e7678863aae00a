/**
 * Work started on behalf of a request that has already been answered (a chat command is
 * acknowledged before it is handled). Shutdown waits for it, so an acknowledged command is
 * recorded before the process exits.
 */
export interface Inflight {
  track<T>(work: Promise<T>): Promise<T>;
  /** How many are under way. */
  size(): number;
  /** Resolves when everything tracked so far (and started meanwhile) has settled. */
  settle(): Promise<void>;
}

export function createInflight(): Inflight {
  const pending = new Set<Promise<unknown>>();
  return {
    track(work) {
      const entry = work.then(
        () => undefined,
        () => undefined,
      );
      pending.add(entry);
      void entry.then(() => pending.delete(entry));
      return work;
    },
    size: () => pending.size,
    async settle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
