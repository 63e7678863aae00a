import { describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import type { Store } from '../store/types.js';
import { createReadiness } from './readiness.js';

/** The store methods readiness calls, each failing with `error` when given one; calls counted. */
function fakeStore(fail: { ping?: Error; probeWrite?: Error } = {}) {
  const calls = { ping: 0, probeWrite: 0, pendingMigrations: 0 };
  const store = {
    ping: async () => {
      calls.ping++;
      if (fail.ping) throw fail.ping;
    },
    probeWrite: async () => {
      calls.probeWrite++;
      if (fail.probeWrite) throw fail.probeWrite;
    },
    pendingMigrations: async () => {
      calls.pendingMigrations++;
      return [];
    },
  } as unknown as Store;
  return { store, calls };
}

function recordingLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  return { log, lines };
}

describe('readiness', () => {
  it('is ready when the store answers and takes a write', async () => {
    const { store, calls } = fakeStore();
    const readiness = createReadiness({ store, log: recordingLog().log });
    expect(await readiness.check()).toEqual({
      ready: true,
      checks: { store: 'ok', migrations: 'ok' },
    });
    expect(calls.probeWrite).toBe(1);
  });

  it('is not ready when the store reads but cannot write', async () => {
    const { store } = fakeStore({ probeWrite: new Error('attempt to write a readonly database') });
    const { log, lines } = recordingLog();
    const answer = await createReadiness({ store, log }).check();
    expect(answer.ready).toBe(false);
    expect(answer.checks.store).toMatch(/^read-only: /);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, error: 'attempt to write a readonly database' }),
    );
  });

  it('names no host, URL or credential when the database is down; the log has the cause', async () => {
    const cause = new Error(
      'Postgres at postgres://slipway:[redacted]@db.internal.example:5432/slipway refused the connection (ECONNREFUSED 10.1.2.3:5432)',
    );
    const { store } = fakeStore({ ping: cause });
    const { log, lines } = recordingLog();
    const answer = await createReadiness({ store, log }).check();
    expect(answer).toEqual({
      ready: false,
      checks: { store: 'unreachable: see the server log for why' },
    });
    expect(JSON.stringify(answer)).not.toMatch(/db\.internal|10\.1\.2\.3|postgres:|5432/);
    expect(lines).toContainEqual(expect.objectContaining({ error: cause.message }));
  });

  it('looks at the store at most once per interval', async () => {
    const { store, calls } = fakeStore();
    let now = 0;
    const readiness = createReadiness({
      store,
      log: recordingLog().log,
      cacheMs: 1_000,
      now: () => now,
    });
    await Promise.all([readiness.check(), readiness.check()]);
    now = 999;
    await readiness.check();
    expect(calls).toEqual({ ping: 1, probeWrite: 1, pendingMigrations: 1 });
    now = 1_000;
    await readiness.check();
    expect(calls.probeWrite).toBe(2);
  });
});
