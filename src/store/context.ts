import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Logger } from 'pino';
import type { Tables } from './tables.js';

/** What differs between the two databases; everything else is one query layer. */
export interface DialectSupport {
  readonly kind: 'sqlite' | 'postgres';
  /** Whether `SELECT … FOR UPDATE` exists (SQLite has no row locks, nor the syntax). */
  readonly rowLocks: boolean;
  /** Which constraint kind an error from the driver violated, if any. */
  violation(err: unknown): 'unique' | 'foreign_key' | null;
  /** Schema that holds the migration bookkeeping tables (Postgres), if one must be named. */
  migrationSchema(db: Kysely<Tables>): Promise<string | undefined>;
}

export interface StoreContext {
  db: Kysely<Tables>;
  dialect: DialectSupport;
  now: () => Date;
  log: Logger | undefined;
  /**
   * SQLite only, called while a connection is held: what that hold commits is not waited for
   * until it is synced (sqlite/driver.ts). The next commit that is waited for syncs it too.
   */
  leaveUnsynced?: () => void;
  /** SQLite only: settles when the WAL sync running now ends (sqlite/wal-sync.ts). */
  betweenSyncs?: () => Promise<void>;
}

/** Adds `FOR UPDATE` where the database supports it. */
export function lockRows<DB, TB extends keyof DB, O>(
  ctx: StoreContext,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return ctx.dialect.rowLocks ? query.forUpdate() : query;
}
