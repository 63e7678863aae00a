import { type RawBuilder, sql } from 'kysely';

/**
 * A LIMIT written into the SQL instead of bound as a parameter: SQLite (3.53, as better-sqlite3
 * ships it) plans a statement again on every run when its LIMIT is bound, so the statement
 * cache in sqlite/driver.ts saved nothing there. `lastSucceeded`, which every accepted /deploy
 * runs, cost 36 µs of CPU with `limit ?` and 7 µs with `limit 1`. A query has few distinct
 * limits, so the cache keeps one statement for each. Only a whole number reaches the SQL.
 */
export function literalLimit(n: number): RawBuilder<number> {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`a query limit must be a whole number, not ${n}`);
  }
  return sql.lit(n);
}
