import type { App } from '../../src/app.js';

export interface DeadProcess {
  /** Stops what is left of it at the end of a test: what it was waiting for fails, it hands nothing back, its connection closes. */
  bury(): Promise<void>;
}

/**
 * Makes `app` look, from the database's side, like a process that died (SIGKILL, a lost node):
 * from now on none of its store calls settle, so its leases run out for another process to
 * take, and nothing it was about to write lands. The engine writes each step before it asks the
 * driver to take it, so its driver calls stop with it. In-process, unlike SIGKILL, so that the
 * dead and the living can share one in-memory driver and its record of calls.
 */
export function stopAbruptly(app: App): DeadProcess {
  const store = app.store as unknown as Record<string, unknown>;
  const original = { ...store };
  const waiting: ((err: Error) => void)[] = [];
  let buried = false;
  const dead = () =>
    buried
      ? Promise.reject(new Error('this process is dead'))
      : new Promise((_, reject) => waiting.push(reject));
  for (const [key, value] of Object.entries(store)) {
    if (typeof value === 'function') store[key] = dead;
  }
  return {
    async bury() {
      buried = true;
      for (const reject of waiting.splice(0)) reject(new Error('this process is dead'));
      // A dead process hands no lease back; its connection is the test's to close.
      store.releaseLeases = async () => {};
      store.close = original.close;
      await app.stop();
    },
  };
}
