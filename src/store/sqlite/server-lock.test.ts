import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../core/errors.js';
import { acquireServerLock } from './server-lock.js';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-lock-'));
  db = join(dir, 'slipway.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the SQLite server lock', () => {
  it('refuses a second server, naming the holder and the way out', () => {
    const first = acquireServerLock(db, { processId: 'one' });
    let refusal: unknown;
    try {
      acquireServerLock(db, { processId: 'two' });
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(ConflictError);
    const message = (refusal as Error).message;
    expect(message).toContain(`Another Slipway server is using the SQLite database ${db}`);
    expect(message).toContain(`pid ${process.pid}`);
    expect(message).toContain('postgres://');
    first.release();
    expect(existsSync(`${db}.server`)).toBe(false);
    acquireServerLock(db, { processId: 'two' }).release();
  });

  it('takes over the file of a server whose process is gone from this host', () => {
    writeFileSync(
      `${db}.server`,
      JSON.stringify({ pid: 999_999, host: 'here', processId: 'dead', since: 'x' }),
    );
    const lock = acquireServerLock(db, { processId: 'new', host: 'here', alive: () => false });
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).processId).toBe('new');
    lock.release();
  });

  it('waits out a live-looking holder on another host until its heartbeat stops', () => {
    writeFileSync(
      `${db}.server`,
      JSON.stringify({ pid: 1, host: 'elsewhere', processId: 'far', since: 'x' }),
    );
    const options = { processId: 'new', host: 'here', heartbeatMs: 1_000, alive: () => true };
    expect(() => acquireServerLock(db, options)).toThrow(/pid 1 on elsewhere/);
    const old = new Date(Date.now() - 10_000);
    utimesSync(`${db}.server`, old, old);
    const lock = acquireServerLock(db, options);
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).host).toBe('here');
    lock.release();
  });

  it('does not remove a file another server took over after it', () => {
    const lock = acquireServerLock(db, { processId: 'one' });
    writeFileSync(lock.path, JSON.stringify({ pid: 2, host: 'h', processId: 'two', since: 'x' }));
    lock.release();
    expect(existsSync(lock.path)).toBe(true);
  });
});
