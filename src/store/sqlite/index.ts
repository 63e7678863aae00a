import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DialectSupport } from '../context.js';
import { createKyselyStore } from '../kysely-store.js';
import type { Tables } from '../tables.js';
import type { Store } from '../types.js';
import { createSqliteDialect } from './driver.js';
import { explainSqliteOpenError } from './errors.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for a private database that disappears on close. */
  path: string;
  log?: Logger;
  now?: () => Date;
  /** How long a statement waits for another connection's write to finish. Default 5 s. */
  busyTimeoutMs?: number;
}

const sqliteSupport: DialectSupport = {
  kind: 'sqlite',
  // Every transaction begins IMMEDIATE (see driver.ts): claims already run one at a time.
  rowLocks: false,
  violation: (err) => {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return 'unique';
    }
    return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' ? 'foreign_key' : null;
  },
  migrationSchema: async () => undefined,
};

export function createSqliteStore(options: SqliteStoreOptions): Store {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  const database = openExplained(options.path, busyTimeoutMs);
  const log = options.log?.child({ store: 'sqlite' });
  log?.debug({ path: database.name }, 'opened SQLite database');
  const dialect = createSqliteDialect(database, busyTimeoutMs);
  const store = createKyselyStore({
    db: new Kysely<Tables>({ dialect }),
    dialect: sqliteSupport,
    leaveUnsynced: dialect.leaveUnsynced,
    betweenSyncs: dialect.betweenSyncs,
    now: options.now ?? (() => new Date()),
    log,
  });
  return {
    ...store,
    // Damage inside a file whose header is intact shows only when pages are read: at start,
    // that is the migration.
    migrate: () =>
      store.migrate().catch((err: unknown) => {
        throw (
          explainSqliteOpenError((err as { cause?: unknown }).cause ?? err, options.path) ?? err
        );
      }),
  };
}

/** Opening is where a bad path or a damaged file shows: say which, and the fix. */
function openExplained(path: string, busyTimeoutMs: number): Sqlite.Database {
  try {
    return openDatabase(path, busyTimeoutMs);
  } catch (err) {
    throw explainSqliteOpenError(err, path) ?? err;
  }
}

/**
 * The database holds who asked for what and why, and Slack trigger ids: a file Slipway creates
 * is for its own user only (0600), and so are the -wal and -shm SQLite creates beside it, which
 * take the database file's permissions. So is a directory Slipway creates for it (0700); an
 * existing file or directory is left as it is.
 */
function createPrivately(path: string): void {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * A connection as the store uses it; exported for the tests of its settings, which may follow
 * the statements it runs (`verbose`), and for the benchmark's floor, which writes as the store
 * does.
 */
export function openDatabase(
  path: string,
  busyTimeoutMs: number,
  verbose?: (sql: unknown) => void,
): Sqlite.Database {
  const memory = path === ':memory:';
  if (!memory) createPrivately(path);
  // SQLite's own busy wait is used only while opening, which is synchronous anyway.
  const database = new Sqlite(path, { timeout: busyTimeoutMs, verbose });
  // WAL lets readers run while one process writes; it is a property of the file.
  if (!memory) database.pragma('journal_mode = WAL');
  // A commit is not synced by SQLite on the event loop: the driver syncs the WAL on the thread
  // pool and answers whoever committed only then (wal-sync.ts), so whatever was answered
  // survives a power cut, not only a crash of the process. NORMAL keeps SQLite's own syncs
  // around checkpoints. Set explicitly: better-sqlite3 builds SQLite with
  // SQLITE_DEFAULT_WAL_SYNCHRONOUS=1, which would otherwise take over at the first use of the
  // WAL, and a setting that depends on that is one a reader has to look up.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // From here on the driver waits asynchronously (driver.ts explains why).
  database.pragma('busy_timeout = 0');
  return database;
}
