import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DialectSupport } from '../context.js';
import { createKyselyStore } from '../kysely-store.js';
import type { Tables } from '../tables.js';
import type { Store } from '../types.js';
import { explainPostgresError } from './errors.js';
import { preparingClient } from './preparing-client.js';

export interface PostgresStoreOptions {
  /** A libpq-style URL without Slipway's own parameters (`schema`). */
  connectionString: string;
  /** Schema to create the tables in (created by `migrate()` when missing). */
  schema?: string;
  log?: Logger;
  now?: () => Date;
  /** Connections in this process's pool. Default 10. */
  poolSize?: number;
}

/** Plain identifiers only: the name goes into a startup option, not a bind parameter. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const CURRENT_SCHEMA = sql<{ schema: string | null }>`select current_schema() as schema`;

/** Postgres error codes (postgresql.org/docs/current/errcodes-appendix.html). */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

const postgresSupport: DialectSupport = {
  kind: 'postgres',
  rowLocks: true,
  violation: (err) => {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === UNIQUE_VIOLATION) return 'unique';
    return code === FOREIGN_KEY_VIOLATION ? 'foreign_key' : null;
  },
  // Kysely's Migrator looks for its table in every schema unless told which one is ours.
  migrationSchema: async (db) => {
    const { rows } = await CURRENT_SCHEMA.execute(db);
    return rows[0]?.schema ?? undefined;
  },
};

export function createPostgresStore(options: PostgresStoreOptions): Store {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(
      `schema "${schema}" is not a plain Postgres name: use lowercase letters, digits and _`,
    );
  }
  const log = options.log?.child({ store: 'postgres', schema });
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    options: schema === undefined ? undefined : `-c search_path=${schema}`,
    types: { getTypeParser: parseInt8AsNumber },
    Client: preparingClient(),
  });
  // Without a listener, an idle connection dropped by the server crashes the process.
  pool.on('error', (err) => log?.warn({ err }, 'idle Postgres connection failed'));
  const store = createKyselyStore({
    db: new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }),
    dialect: {
      ...postgresSupport,
      migrationSchema: async (db) => schema ?? postgresSupport.migrationSchema(db),
    },
    now: options.now ?? (() => new Date()),
    log,
  });
  return {
    ...store,
    // The first round trip at start (waitForDatabase): a failure to connect says where and why.
    ping: () =>
      store.ping().catch((err: unknown) => {
        throw explainPostgresError(err, options.connectionString) ?? err;
      }),
  };
}

/**
 * BIGINT (epoch ms, counts) as a JS number instead of pg's default string: exact up to 2^53,
 * far beyond any date. Set per pool so other pg users in the process are unaffected.
 */
const parseInt8AsNumber = ((oid: number, format?: 'text' | 'binary') =>
  oid === pg.types.builtins.INT8
    ? Number
    : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;
