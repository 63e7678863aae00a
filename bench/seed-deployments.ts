import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { createStore, parseDatabaseUrl } from '../src/store/index.js';
import type { Tables } from '../src/store/tables.js';
import { type SeedBatch, seedBatches } from './dashboard-data.js';

/**
 * Writes `dashboard-data.ts`'s story into a database Slipway's migrations made: in bulk, so that
 * 1,000,000 deployments (and about 4.5 million transitions) take minutes. SQLite through
 * better-sqlite3 with multi-row INSERTs in one transaction per batch; Postgres with one INSERT
 * … SELECT FROM unnest(arrays) per table and batch, a few thousand rows in each statement.
 */

type Table = 'deployments' | 'transitions' | 'approvals' | 'refusals';
type ColumnType = 'text' | 'bigint' | 'integer';

/** Every column written, with its Postgres type for unnest (SQLite takes any value). */
const COLUMNS: { [T in Table]: Array<[keyof Tables[T] & string, ColumnType]> } = {
  deployments: [
    ['id', 'text'],
    ['service', 'text'],
    ['environment', 'text'],
    ['version', 'text'],
    ['previous_version', 'text'],
    ['ref_type', 'text'],
    ['ref_name', 'text'],
    ['kind', 'text'],
    ['state', 'text'],
    ['requested_by', 'text'],
    ['source', 'text'],
    ['channel', 'text'],
    ['reason', 'text'],
    ['correlation_id', 'text'],
    ['idempotency_key', 'text'],
    ['freeze_override', 'integer'],
    ['approvals_required', 'integer'],
    ['driver', 'text'],
    ['driver_ref', 'text'],
    ['progress', 'text'],
    ['outcome', 'text'],
    ['lease_owner', 'text'],
    ['lease_expires_at', 'bigint'],
    ['created_at', 'bigint'],
    ['updated_at', 'bigint'],
    ['started_at', 'bigint'],
    ['finished_at', 'bigint'],
    ['trace_parent', 'text'],
    ['committed_at', 'bigint'],
    ['commit_sha', 'text'],
  ],
  transitions: [
    ['deployment_id', 'text'],
    ['seq', 'integer'],
    ['from_state', 'text'],
    ['to_state', 'text'],
    ['actor', 'text'],
    ['at', 'bigint'],
    ['reason', 'text'],
    ['correlation_id', 'text'],
  ],
  approvals: [
    ['deployment_id', 'text'],
    ['approver', 'text'],
    ['verdict', 'text'],
    ['comment', 'text'],
    ['at', 'bigint'],
  ],
  refusals: [
    ['id', 'text'],
    ['at', 'bigint'],
    ['actor', 'text'],
    ['source', 'text'],
    ['channel', 'text'],
    ['action', 'text'],
    ['service', 'text'],
    ['environment', 'text'],
    ['version', 'text'],
    ['deployment_id', 'text'],
    ['code', 'text'],
    ['reason', 'text'],
    ['correlation_id', 'text'],
  ],
};
/** Parents before children: transitions and approvals reference deployments. */
const TABLES: Table[] = ['deployments', 'transitions', 'approvals', 'refusals'];

export interface SeedFigure {
  rows: Record<Table, number>;
  seconds: number;
}

export interface SeedOptions {
  /** How many deployment ids to hand back, spread evenly from the oldest to the newest. */
  sample?: number;
  /** Hears every tenth of the way. */
  progress?: (line: string) => void;
}

/**
 * Migrates the empty database at `url` (a fresh SQLite file or Postgres schema) and writes
 * `total` deployments ending at `now` into it.
 */
export async function seedDeployments(
  url: string,
  total: number,
  now: number,
  { sample = 0, progress = () => {} }: SeedOptions = {},
): Promise<SeedFigure & { sample: string[] }> {
  const started = performance.now();
  const store = createStore(url);
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
  const location = parseDatabaseUrl(url);
  const writer =
    location.kind === 'sqlite'
      ? sqliteWriter(location.path)
      : await postgresWriter(location.connectionString, location.schema);
  const rows: Record<Table, number> = { deployments: 0, transitions: 0, approvals: 0, refusals: 0 };
  let reported = 0;
  const every = sample > 0 ? Math.max(1, Math.floor(total / sample)) : 0;
  const ids: string[] = [];
  try {
    for (const batch of seedBatches(total, now)) {
      await writer.write(batch);
      batch.deployments.forEach((d, i) => {
        if (every > 0 && (rows.deployments + i) % every === 0 && ids.length < sample)
          ids.push(d.id);
      });
      for (const table of TABLES) rows[table] += batch[table].length;
      if (rows.deployments >= reported + total / 10) {
        reported = rows.deployments;
        const s = Math.round((performance.now() - started) / 1000);
        progress(
          `  ${location.kind}: ${rows.deployments.toLocaleString('en')} deployments, ${s} s`,
        );
      }
    }
    await writer.finish();
  } finally {
    await writer.close();
  }
  return { rows, seconds: Math.round((performance.now() - started) / 100) / 10, sample: ids };
}

interface Writer {
  write(batch: SeedBatch): Promise<void>;
  /** After the last batch: what a database that grew slowly would have (statistics). */
  finish(): Promise<void>;
  close(): Promise<void>;
}

/** SQLite allows 32,766 bound values per statement: rows × columns stays under it. */
const SQLITE_MAX_VALUES = 32_000;

function sqliteWriter(path: string): Writer {
  const db = new Sqlite(path);
  // The file is thrown away after the run: a crash mid-seed loses nothing worth keeping.
  db.pragma('synchronous = OFF');
  // Deployment ids are random, so their index takes inserts all over: with SQLite's default
  // 2 MiB cache most of them would read and write pages on disk.
  db.pragma('cache_size = -1000000');
  db.pragma('foreign_keys = ON');
  const statements = new Map<string, Sqlite.Statement>();
  const insert = (table: Table, count: number) => {
    const key = `${table}:${count}`;
    let statement = statements.get(key);
    if (!statement) {
      const columns = COLUMNS[table].map(([name]) => name);
      const row = `(${columns.map(() => '?').join(',')})`;
      statement = db.prepare(
        `insert into ${table} (${columns.join(',')}) values ${Array(count).fill(row).join(',')}`,
      );
      statements.set(key, statement);
    }
    return statement;
  };
  const writeTable = (table: Table, rows: Array<Record<string, unknown>>) => {
    const columns = COLUMNS[table].map(([name]) => name);
    const perStatement = Math.floor(SQLITE_MAX_VALUES / columns.length);
    for (let from = 0; from < rows.length; from += perStatement) {
      const chunk = rows.slice(from, from + perStatement);
      const values: unknown[] = [];
      for (const row of chunk) for (const c of columns) values.push(row[c]);
      insert(table, chunk.length).run(values);
    }
  };
  // Secondary indexes are built once at the end (a sort), not grown row by row; the primary
  // keys and the indexes behind UNIQUE columns (no SQL of their own) stay.
  const indexes = db
    .prepare(
      `select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${TABLES.map(() => '?').join(',')})`,
    )
    .all(...TABLES) as Array<{ name: string; sql: string }>;
  for (const { name } of indexes) db.exec(`drop index "${name}"`);
  const writeBatch = db.transaction((batch: SeedBatch) => {
    for (const table of TABLES) writeTable(table, batch[table] as never);
  });
  return {
    write: async (batch) => writeBatch(batch),
    // Slipway never runs ANALYZE on its SQLite file: neither does the seed, so the planner
    // decides as it would in the field.
    finish: async () => {
      for (const { sql } of indexes) db.exec(sql);
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    close: async () => {
      db.close();
    },
  };
}

/** Rows per INSERT … unnest statement: large enough that round trips do not count. */
const PG_ROWS_PER_STATEMENT = 5_000;

async function postgresWriter(
  connectionString: string,
  schema: string | undefined,
): Promise<Writer> {
  const client = new pg.Client({
    connectionString,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  client.on('error', () => {});
  await client.connect();
  // A throwaway schema: waiting for each commit to reach the disk buys nothing.
  await client.query('set synchronous_commit = off');
  await client.query("set maintenance_work_mem = '512MB'");
  // As on SQLite: secondary indexes built at the end, the constraints' own indexes kept.
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    `select indexname as name, indexdef as definition from pg_indexes
      where schemaname = current_schema() and tablename = any($1)
        and indexname not in (select conname from pg_constraint where connamespace = current_schema()::regnamespace)`,
    [TABLES],
  );
  for (const { name } of indexes) await client.query(`drop index "${name}"`);
  const sqlOf = (table: Table) => {
    const columns = COLUMNS[table];
    const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(',');
    return `insert into ${table} (${columns.map(([name]) => name).join(',')}) select * from unnest(${arrays})`;
  };
  const texts = Object.fromEntries(TABLES.map((t) => [t, sqlOf(t)])) as Record<Table, string>;
  const writeTable = async (table: Table, rows: Array<Record<string, unknown>>) => {
    for (let from = 0; from < rows.length; from += PG_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(from, from + PG_ROWS_PER_STATEMENT);
      const arrays = COLUMNS[table].map(([name]) => chunk.map((row) => row[name]));
      await client.query({ name: `seed-${table}`, text: texts[table], values: arrays });
    }
  };
  return {
    async write(batch) {
      await client.query('begin');
      for (const table of TABLES) await writeTable(table, batch[table] as never);
      await client.query('commit');
    },
    // Autovacuum would analyze tables that grew this much; the seed does it at once, so the
    // planner sees what a database that grew over two years would show it.
    async finish() {
      for (const { definition } of indexes) await client.query(definition);
      await client.query(`vacuum analyze ${TABLES.join(', ')}`);
    },
    close: () => client.end(),
  };
}
