import { type Kysely, sql } from 'kysely';

/**
 * What the dashboard reads on every page, checked with EXPLAIN on both databases at 1,000,000
 * deployments (bench/README.md, section (g), has the figures):
 *
 * - What is live on a target (`lastSucceeded`, once per cell of the overview): its succeeded
 *   deployment that finished last. The order is an expression, which only an index on the same
 *   expression serves; without it both databases read and sort all the target's succeeded
 *   deployments, about 100 ms a cell on SQLite.
 * - History by service alone, newest first: without an index both read all the service's
 *   deployments and sort them (0.5 s on SQLite).
 * - A target's history: the index of 001 gains `id`, the order's last term. Without it, once
 *   the service index exists, SQLite prefers that one (it needs no sort) and walks the whole
 *   service for a target with few deployments (0.5 s for an environment it never deployed to).
 * - One person's deployments and refusals, newest first (history filtered by who asked):
 *   without an index, SQLite reads the whole table (0.8 s).
 *
 * - The DORA page's lookups per deployment of the window (about 30,000 in production over 90
 *   days): a version's earliest commit time and its build report, each read from an index
 *   that holds the answer (the report's is partial: build deployments only) instead of from
 *   the rows of each deployment of the version. 0.6-0.9 s → 0.3 s on SQLite, 0.9-1.2 s →
 *   0.3-0.4 s of Postgres' execution.
 *
 * The rest was there: the states that move (001's queue index), an environment's history
 * (001), a deployment's transitions and approvals (their primary keys), refusals by target or
 * deployment (007), whether a version was live before (013). SQLite, which has no statistics
 * here, would also take the service index for DORA's min(created_at) of a version: that
 * lookup is written so that it does not (src/dora/query.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index deployments_live on deployments (service, environment, state, (coalesce(finished_at, updated_at)), created_at, id)`.execute(
    db,
  );
  await db.schema.dropIndex('deployments_target_created').execute();
  await deploymentsIndex(db, 'deployments_target_created', [
    'service',
    'environment',
    'created_at',
    'id',
  ]);
  await deploymentsIndex(db, 'deployments_service_created', ['service', 'created_at', 'id']);
  await deploymentsIndex(db, 'deployments_requested_by', ['requested_by', 'created_at', 'id']);
  await deploymentsIndex(db, 'deployments_version_committed', [
    'service',
    'version',
    'committed_at',
  ]);
  // The pattern is written out in the query too: only then can SQLite use the partial index.
  await db.schema
    .createIndex('deployments_version_built')
    .on('deployments')
    .columns(['service', 'version', 'created_at'])
    .where(sql<boolean>`idempotency_key like 'build:%'`)
    .execute();
  await db.schema
    .createIndex('refusals_actor')
    .on('refusals')
    .columns(['actor', 'at', 'id'])
    .execute();
}

/** Back to 013's indexes exactly: the benchmark's yardstick is the dashboard without these. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('refusals_actor').execute();
  await db.schema.dropIndex('deployments_version_built').execute();
  await db.schema.dropIndex('deployments_version_committed').execute();
  await db.schema.dropIndex('deployments_requested_by').execute();
  await db.schema.dropIndex('deployments_service_created').execute();
  await db.schema.dropIndex('deployments_target_created').execute();
  await deploymentsIndex(db, 'deployments_target_created', [
    'service',
    'environment',
    'created_at',
  ]);
  await db.schema.dropIndex('deployments_live').execute();
}

function deploymentsIndex(db: Kysely<unknown>, name: string, columns: string[]): Promise<void> {
  return db.schema.createIndex(name).on('deployments').columns(columns).execute();
}
