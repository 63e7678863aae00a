import { closeSync, fdatasync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Database } from 'better-sqlite3';

/**
 * Makes SQLite commits durable without blocking the event loop.
 *
 * better-sqlite3 is synchronous: with `synchronous = FULL`, every commit waited for its fsync
 * on the event loop (0.15–0.2 ms on an idle disk here, more under load), and nothing else ran
 * meanwhile, neither the next request's parsing nor the statements that could have shared the
 * sync. Instead the connection runs with `synchronous = NORMAL` (a commit is written to the
 * WAL, not synced) and the driver waits for `synced()` before it answers whoever committed:
 * an fdatasync of the WAL on libuv's thread pool. The WAL is one file written in order, so a
 * sync started after a commit makes it durable, and with it every commit before it. Commits
 * made while a sync runs share the next one: one sync for all of them, the way a database
 * server's group commit works. SQLite still syncs the WAL before a checkpoint copies it into the
 * database file, and the database file after, as it does with FULL.
 *
 * The WAL file is opened at the first sync, after a commit, once SQLite has it open: while a
 * connection to the database is open, SQLite never deletes or replaces it (only the last
 * connection to close does), so the descriptor names the same file for the connection's life.
 */
export interface WalSync {
  /** Settles once everything committed before the call is on disk; rejects if the sync failed. */
  synced(): Promise<void>;
  /**
   * Settles when the sync running now ends (at once if none is): a write that needs no sync of
   * its own can wait for it, and so go with the others written after it instead of alone.
   */
  between(): Promise<void>;
  /** Closes the WAL's descriptor. Syncs already asked for still settle. */
  close(): void;
}

type Fdatasync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

export interface WalSyncOptions {
  /** The sync itself; tests replace it to hold it open or make it fail. */
  fdatasync?: Fdatasync;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/** For a database in memory (or a temporary one) there is nothing to sync. */
const NOTHING_TO_SYNC: WalSync = {
  synced: () => Promise.resolve(),
  between: () => Promise.resolve(),
  close: () => {},
};

export function createWalSync(database: Database, options: WalSyncOptions = {}): WalSync {
  if (database.memory || database.name === '') return NOTHING_TO_SYNC;
  const walPath = `${resolve(database.name)}-wal`;
  const sync = options.fdatasync ?? fdatasync;
  let fd: number | undefined;
  let closed = false;
  let running = false;
  /** Asked for since the running sync started: their commits may have come after its start. */
  let waiting: Waiter[] = [];
  let between: Array<() => void> = [];

  function start(): void {
    if (running || waiting.length === 0) return;
    // Everyone waiting now committed before this sync starts: it covers them all.
    const covered = waiting;
    waiting = [];
    running = true;
    const done = (err: unknown) => {
      running = false;
      for (const waiter of covered) {
        if (err) waiter.reject(syncError(walPath, err));
        else waiter.resolve();
      }
      const resumed = between;
      between = [];
      for (const resume of resumed) resume();
      if (closed && waiting.length === 0) closeFd();
      start();
    };
    try {
      fd ??= openSync(walPath, 'r');
    } catch (err) {
      done(err);
      return;
    }
    sync(fd, done);
  }

  function closeFd(): void {
    if (fd === undefined) return;
    closeSync(fd);
    fd = undefined;
  }

  return {
    synced() {
      const promise = new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
      });
      start();
      return promise;
    },
    between() {
      if (!running) return Promise.resolve();
      return new Promise((resolve) => between.push(resolve));
    },
    close() {
      closed = true;
      if (!running) closeFd();
    },
  };
}

function syncError(walPath: string, err: unknown): Error {
  return new Error(
    `could not sync ${walPath} to disk: the change was committed but may not survive a power cut`,
    { cause: err },
  );
}
