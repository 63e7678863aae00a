interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Small writes that wait for the statement in flight and then go together in one: on SQLite
 * each statement outside a transaction is a commit of its own (a WAL append and its sync, and
 * the writer lock every other write waits for), which one per chat command would spend at every
 * command of a full-speed stream; one for all the writes that arrived meanwhile costs little
 * more than one. An idle server writes each at once (next tick). `write` returns each item's
 * result in order, or throws to fail them all; each caller is answered once its batch is
 * written, so nothing is acknowledged before it is committed.
 */
export function batchedWrites<T, R>(
  max: number,
  write: (items: T[]) => Promise<R[]>,
  options: {
    /** Waited for before a batch is taken: those arriving meanwhile go in it too. */
    ready?: () => Promise<void>;
  } = {},
): (item: T) => Promise<R> {
  let waiting: Waiting<T, R>[] = [];
  let writing = false;

  function kick(): void {
    if (writing || waiting.length === 0) return;
    writing = true;
    const ready = options.ready?.() ?? Promise.resolve();
    ready
      .then(() => {
        const batch = waiting.slice(0, max);
        waiting = waiting.slice(batch.length);
        return settle(batch);
      })
      .finally(() => {
        writing = false;
        kick();
      });
  }

  async function settle(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await write(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        w.resolve(results[i] as R);
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  return (item) =>
    new Promise((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!writing) setImmediate(kick);
    });
}
