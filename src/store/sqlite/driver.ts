import type { Database, Statement } from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { createWalSync, type WalSync } from './wal-sync.js';

/**
 * Kysely's SqliteDialect, with two changes that matter once several connections (other
 * processes, or other Store instances in this one) share a file:
 *
 * - Transactions begin IMMEDIATE, taking the write lock up front. A DEFERRED transaction that
 *   reads and then writes can fail with SQLITE_BUSY mid-way when another writer got in first.
 * - Waiting for a busy database happens here, asynchronously, instead of in SQLite's
 *   busy_timeout. better-sqlite3 is synchronous: busy_timeout sleeps on the event loop, so a
 *   second Store in the same process would block the very transaction it waits for.
 */
export function createSqliteDialect(
  database: Database,
  busyTimeoutMs: number,
  durability: WalSync = createWalSync(database),
): SqliteDialect {
  const driver = new ImmediateSqliteDriver(database, busyTimeoutMs, durability);
  return {
    createAdapter: () => new TransactionalSqliteAdapter(),
    createDriver: () => driver,
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
    leaveUnsynced: () => driver.leaveUnsynced(),
    betweenSyncs: () => durability.between(),
  };
}

export interface SqliteDialect extends Dialect {
  /**
   * Called while a connection is held (inside `db.connection().execute`): what it commits is
   * handed back without waiting for its sync. For writes whose durability the next synced
   * commit brings anyway, and that nobody acts on before then.
   */
  leaveUnsynced(): void;
  /** Settles when the WAL sync running now ends (wal-sync.ts). */
  betweenSyncs(): Promise<void>;
}

/**
 * SQLite runs DDL in transactions; saying so makes Kysely's Migrator wrap each run in one
 * (IMMEDIATE, see above), so two processes migrating the same file take turns.
 */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Writes are answered once durable: whoever committed waits for the WAL's sync (wal-sync.ts)
 * after the connection is given back, so the next statements run while the disk syncs.
 */
class ImmediateSqliteDriver implements Driver {
  readonly #connection: BusyRetryingConnection;
  readonly #mutex = new Mutex();
  #held: Hold | undefined;

  constructor(
    readonly database: Database,
    busyTimeoutMs: number,
    readonly durability: WalSync,
  ) {
    this.#connection = new BusyRetryingConnection(database, busyTimeoutMs);
  }

  async init(): Promise<void> {}

  // One connection: Kysely callers queue here, a transaction holds it until it ends.
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    this.#held = new Hold(this.#connection);
    return this.#held;
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const hold = connection as Hold;
    if (this.#held === hold) this.#held = undefined;
    this.#mutex.unlock();
    if (hold.committed && !hold.unsynced) await this.durability.synced();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    // SQLite counts BEGIN IMMEDIATE as a write (it takes the write lock), yet it writes nothing.
    (connection as Hold).wrote = false;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
    const hold = connection as Hold;
    if (hold.wrote) hold.committed = true;
    hold.wrote = false;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
    // Nothing of the transaction stands; whatever was committed before it still waits.
    (connection as Hold).wrote = false;
  }

  leaveUnsynced(): void {
    if (!this.#held) throw new Error('leaveUnsynced: no connection is held');
    this.#held.unsynced = true;
  }

  async destroy(): Promise<void> {
    this.database.close();
    this.durability.close();
  }
}

/**
 * One acquisition of the connection: what it wrote, and whether that is committed (a write
 * outside a transaction commits at once; one inside, at the transaction's commit).
 */
class Hold implements DatabaseConnection {
  /** Wrote in the transaction still open. */
  wrote = false;
  /** Something written is committed: the release waits for its sync. */
  committed = false;
  unsynced = false;

  constructor(readonly connection: BusyRetryingConnection) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.connection.executeQuery<R>(query);
    if (result.wrote) {
      if (this.connection.database.inTransaction) this.wrote = true;
      else this.committed = true;
    }
    return result;
  }

  streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    return this.connection.streamQuery<R>(query);
  }
}

/**
 * Kysely compiles the same few dozen SQL strings over and over; preparing each afresh cost a
 * fifth of a slash command's time in the benchmark's profile. Statements are kept by their
 * text, least recently used dropped past the cap. SQLite re-prepares a kept statement itself
 * when the schema changes under it (migrations).
 */
const statementCacheSize = 256;

class BusyRetryingConnection implements DatabaseConnection {
  readonly #statements = new Map<string, Statement>();

  constructor(
    readonly database: Database,
    readonly busyTimeoutMs: number,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R> & { wrote: boolean }> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return this.#run<R>(query);
      } catch (err) {
        // A statement that failed with SQLITE_BUSY had no effect, so running it again is safe.
        if (!isBusy(err) || Date.now() >= deadline) throw err;
        await sleep(backoffMs(attempt));
      }
    }
  }

  #run<R>(query: CompiledQuery): QueryResult<R> & { wrote: boolean } {
    const statement = this.#prepared(query.sql);
    // `readonly` is SQLite's own verdict: true for reads, commit, rollback and savepoints.
    const wrote = !statement.readonly;
    if (statement.reader) return { rows: statement.all(query.parameters) as R[], wrote };
    const { changes, lastInsertRowid } = statement.run(query.parameters);
    return {
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
      wrote,
    };
  }

  // Runs synchronously from start to end, so one cached statement is never used twice at once.
  #prepared(sql: string): Statement {
    const cached = this.#statements.get(sql);
    if (cached) {
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const statement = this.database.prepare(sql);
    this.#statements.set(sql, statement);
    if (this.#statements.size > statementCacheSize) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    return statement;
  }

  // An iterator holds its statement until it ends, so a stream prepares its own.
  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.database.prepare(query.sql);
    for (const row of statement.iterate(query.parameters)) yield { rows: [row as R] };
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** 1, 2, 4 … 32 ms with jitter, so waiting connections do not retry in lockstep. */
function backoffMs(attempt: number): number {
  return Math.min(2 ** attempt, 32) * (0.5 + Math.random());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** First come, first served; `unlock` lets the next waiter in. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  async lock(): Promise<void> {
    const previous = this.#tail;
    let release: () => void = () => {};
    this.#tail = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    this.#release = release;
  }

  unlock(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}
