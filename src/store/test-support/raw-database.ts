import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { parseDatabaseUrl } from '../index.js';
import { migratorFor } from '../migrations/index.js';
import { createSqliteDialect } from '../sqlite/driver.js';

/** Table rows as the test writes and reads them: any table, any column. */
type AnyTables = Record<string, Record<string, unknown>>;

export interface RawDatabase {
  db: Kysely<AnyTables>;
  /** Moves the schema to just after migration `name`, up or down. */
  migrateTo(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A plain connection to a store's database, beside the Store: a migration's test writes rows in
 * the tables it replaces, and reads what no port method shows (tables that are gone).
 */
export function openRawDatabase(url: string): RawDatabase {
  const location = parseDatabaseUrl(url);
  const schema = location.kind === 'postgres' ? location.schema : undefined;
  const db =
    location.kind === 'sqlite'
      ? new Kysely<AnyTables>({ dialect: createSqliteDialect(openSqlite(location.path), 5_000) })
      : new Kysely<AnyTables>({
          dialect: new PostgresDialect({
            pool: new pg.Pool({
              connectionString: location.connectionString,
              max: 1,
              // BIGINT as a number, as the store reads it.
              types: { getTypeParser: int8AsNumber },
              ...(schema ? { options: `-c search_path=${schema}` } : {}),
            }),
          }),
        });
  return {
    db,
    async migrateTo(name) {
      const { error } = await migratorFor(db, schema).migrateTo(name);
      if (error) throw error;
    },
    close: () => db.destroy(),
  };
}

const int8AsNumber = ((oid: number, format?: 'text' | 'binary') =>
  oid === pg.types.builtins.INT8
    ? Number
    : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

function openSqlite(path: string): Sqlite.Database {
  const database = new Sqlite(path);
  database.pragma('foreign_keys = ON');
  return database;
}
