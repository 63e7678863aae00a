import {
  closeSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ConflictError } from '../../core/errors.js';

/** What the lock file next to the database says about the server holding it. */
export interface ServerLockHolder {
  pid: number;
  host: string;
  processId: string;
  since: string;
}

export interface ServerLock {
  readonly path: string;
  release(): void;
}

export interface ServerLockOptions {
  processId: string;
  /** How often the holder touches the file; a file untouched for 6 beats is abandoned. */
  heartbeatMs?: number;
  /** Whether a process with this pid runs on this host (tests). */
  alive?: (pid: number) => boolean;
  host?: string;
}

/**
 * SQLite serves one Slipway server: a second one on the same file would run the same queue
 * from two places with no way to tell replicas apart for leases, chat and locks that need
 * Postgres. The first server holds `<database>.server` (created exclusively) and touches it
 * while it runs; a second one is refused with the holder's pid and host. The file of a server
 * that died is taken over: at once when its pid is gone from this host, otherwise once it has
 * gone untouched for six heartbeats (another host sharing the file over a network mount).
 */
export function acquireServerLock(databasePath: string, options: ServerLockOptions): ServerLock {
  const path = `${resolve(databasePath)}.server`;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const host = options.host ?? hostname();
  const alive = options.alive ?? pidAlive;
  const me: ServerLockHolder = {
    pid: process.pid,
    host,
    processId: options.processId,
    since: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt++) {
    if (create(path, me)) break;
    const holder = readHolder(path);
    if (holder === 'gone') continue;
    const abandoned =
      holder === null ||
      (holder.host === host && !alive(holder.pid)) ||
      Date.now() - modifiedAt(path) > 6 * heartbeatMs;
    if (!abandoned || attempt >= 2) throw refusal(databasePath, path, holder);
    try {
      unlinkSync(path);
    } catch {
      // Someone else took it over first: the next attempt reads theirs.
    }
  }
  const timer = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // The file was removed by hand: there is nothing to keep fresh.
    }
  }, heartbeatMs);
  timer.unref();
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      const holder = readHolder(path);
      if (holder && holder !== 'gone' && holder.processId === me.processId) {
        try {
          unlinkSync(path);
        } catch {
          // Already gone.
        }
      }
    },
  };
}

function create(path: string, me: ServerLockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The holder, null when the file cannot be read as one (a crash mid-write), 'gone' if removed. */
function readHolder(path: string): ServerLockHolder | null | 'gone' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const value = JSON.parse(text) as Partial<ServerLockHolder>;
    if (typeof value.pid === 'number' && typeof value.host === 'string')
      return {
        pid: value.pid,
        host: value.host,
        processId: String(value.processId ?? ''),
        since: String(value.since ?? ''),
      };
  } catch {
    // Fall through: unreadable.
  }
  return null;
}

function modifiedAt(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function refusal(
  databasePath: string,
  lockPath: string,
  holder: ServerLockHolder | null | 'gone',
): ConflictError {
  const who =
    holder && holder !== 'gone'
      ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}`
      : 'a server that is still starting';
  return new ConflictError(
    `Another Slipway server is using the SQLite database ${databasePath} (${who}). ` +
      'SQLite serves one Slipway server: stop that one first, or run several replicas on ' +
      'Postgres (SLIPWAY_DATABASE_URL=postgres://user@host/db). ' +
      `If no server is running, remove ${lockPath}.`,
    { lockPath, holder },
  );
}
