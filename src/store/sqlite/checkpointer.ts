import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';

/**
 * Checkpoints on a thread of their own, once a connection writes steadily.
 *
 * A WAL grows until a checkpoint copies its pages into the database file. SQLite runs one
 * inside the commit that takes the WAL past 1,000 pages, on the connection that committed:
 * for Slipway, on the event loop, where the copy and the two syncs it needs (the WAL before,
 * the database file after) stalled every request for milliseconds. Under a stream of accepted
 * commands that was a third of what a commit cost. Once the store has committed often enough
 * for that to matter, its connection stops checkpointing (`wal_autocheckpoint = 0`) and a
 * worker thread with a connection of its own runs a PASSIVE checkpoint (it never blocks a
 * writer nor waits for a reader) at most every `intervalMs` while commits come in. The writer
 * starts the WAL over from its beginning once everything in it is copied, so it stays bounded.
 * Should the worker fail, the connection checkpoints for itself again.
 */
export interface Checkpointer {
  /** Told after each commit. */
  committed(): void;
  /** Stops the worker (closing its connection); the store's own close checkpoints the rest. */
  close(): Promise<void>;
  /** What the worker's checkpoints have done so far, for tests and logs. */
  readonly stats: CheckpointStats;
}

export interface CheckpointStats {
  /** Checkpoints the worker ran. */
  runs: number;
  /** Frames it copied into the database file, over all runs. */
  copied: number;
  /** Whether the worker runs (and the connection leaves checkpoints to it). */
  active: boolean;
}

export interface CheckpointerOptions {
  /** Commits after which the worker takes over. A store that writes little never starts it. */
  startAfterCommits?: number;
  /** Shortest time between two checkpoints. */
  intervalMs?: number;
  log?: Logger;
}

// The worker is plain JavaScript given as a string: it runs the same whether Slipway runs
// compiled or from its TypeScript sources, and loads the very better-sqlite3 the store uses.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
// A checkpoint syncs the WAL before it copies and the database file after: NORMAL does both.
db.pragma('synchronous = NORMAL');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, copied: result.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
});
parentPort.postMessage({ ok: true, copied: 0, ready: true });
`;

const NOTHING_TO_CHECKPOINT: Checkpointer = {
  committed: () => {},
  close: async () => {},
  stats: { runs: 0, copied: 0, active: false },
};

export function createCheckpointer(
  database: Database,
  options: CheckpointerOptions = {},
): Checkpointer {
  if (database.memory || database.name === '' || database.readonly) return NOTHING_TO_CHECKPOINT;
  const startAfter = options.startAfterCommits ?? 1_000;
  const intervalMs = options.intervalMs ?? 100;
  const stats: CheckpointStats = { runs: 0, copied: 0, active: false };
  let commits = 0;
  let worker: Worker | undefined;
  let closing: Promise<void> | undefined;
  /** A checkpoint asked of the worker and not answered yet. */
  let running = false;
  /** Commits since the last checkpoint was asked for. */
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  /** The worker failed (or could not start): the connection keeps checkpointing for itself. */
  let stopped = false;

  function start(): void {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER, {
      eval: true,
      workerData: { driver, path: resolve(database.name) },
    });
    // It must not keep a process alive that has nothing else to do.
    worker.unref();
    worker.on(
      'message',
      (message: { ok: boolean; copied?: number; ready?: boolean; error?: string }) => {
        if (message.ready) {
          if (closing) return;
          database.pragma('wal_autocheckpoint = 0');
          stats.active = true;
          schedule();
          return;
        }
        running = false;
        if (message.ok) {
          stats.runs++;
          stats.copied += message.copied ?? 0;
        } else {
          options.log?.warn({ error: message.error }, 'a checkpoint failed; trying again');
        }
        schedule();
      },
    );
    worker.on('error', (err) => fallBack(err));
    worker.on('exit', (code) => {
      if (!closing) fallBack(new Error(`the checkpoint thread exited with code ${code}`));
    });
  }

  /** Without its thread the connection checkpoints for itself again, as SQLite does by default. */
  function fallBack(err: unknown): void {
    if (!worker) return;
    worker = undefined;
    stopped = true;
    running = false;
    stats.active = false;
    clearTimeout(timer);
    if (database.open) database.pragma('wal_autocheckpoint = 1000');
    options.log?.warn({ err }, 'checkpoints run on the event loop again: their thread stopped');
  }

  function schedule(): void {
    if (!stats.active || running || !dirty || timer || closing) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!worker || closing) return;
      dirty = false;
      running = true;
      worker.postMessage('checkpoint');
    }, intervalMs);
    timer.unref();
  }

  return {
    stats,
    committed() {
      dirty = true;
      if (worker) {
        schedule();
        return;
      }
      if (closing || stopped || ++commits < startAfter) return;
      try {
        start();
      } catch (err) {
        stopped = true;
        options.log?.warn(
          { err },
          'could not start the checkpoint thread; checkpoints stay on the event loop',
        );
      }
    },
    close() {
      closing ??= (async () => {
        clearTimeout(timer);
        const w = worker;
        worker = undefined;
        stats.active = false;
        if (!w) return;
        const exited = new Promise<void>((done) => w.once('exit', () => done()));
        w.postMessage('close');
        await exited;
      })();
      return closing;
    },
  };
}
