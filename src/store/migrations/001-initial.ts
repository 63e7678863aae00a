import { type Kysely, sql } from 'kysely';

/**
 * ACTIVE_STATES as of this migration. Frozen on purpose: a migration must describe the
 * same schema forever. If ACTIVE_STATES changes, add a migration that rebuilds the index
 * (a test compares the two).
 */
export const ACTIVE_STATES_AT_001 = ['running', 'verifying', 'rolling_back'] as const;

/** Times are BIGINT epoch milliseconds: exact on both dialects and compared as numbers. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('previous_version', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('reason', 'text')
    .addColumn('correlation_id', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('freeze_override', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('approvals_required', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('driver', 'text', (c) => c.notNull())
    .addColumn('driver_ref', 'text')
    .addColumn('progress', 'text')
    .addColumn('outcome', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .execute();

  // listDeployments filters by target or environment and pages by creation time.
  await index(db, 'deployments_target_created', ['service', 'environment', 'created_at']);
  await index(db, 'deployments_environment_created', ['environment', 'created_at']);
  await index(db, 'deployments_created', ['created_at']);
  // claimNextQueued scans queued rows oldest first; lease sweeps look up by owner.
  await index(db, 'deployments_queue', ['state', 'created_at', 'id']);
  await index(db, 'deployments_lease_owner', ['lease_owner']);
  // The database itself refuses a second active deployment on a target, whatever the caller.
  const active = sql.join(ACTIVE_STATES_AT_001.map((state) => sql.lit(state)));
  await db.schema
    .createIndex('deployments_one_active_per_target')
    .on('deployments')
    .columns(['service', 'environment'])
    .unique()
    .where(sql<boolean>`state in (${active})`)
    .execute();

  await db.schema
    .createTable('transitions')
    .addColumn('deployment_id', 'text', (c) =>
      c.notNull().references('deployments.id').onDelete('cascade'),
    )
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('correlation_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('transitions_pk', ['deployment_id', 'seq'])
    .execute();

  await db.schema
    .createTable('approvals')
    .addColumn('deployment_id', 'text', (c) =>
      c.notNull().references('deployments.id').onDelete('cascade'),
    )
    .addColumn('approver', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('approvals_pk', ['deployment_id', 'approver'])
    .execute();

  await db.schema
    .createTable('locks')
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addPrimaryKeyConstraint('locks_pk', ['environment', 'service'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['locks', 'approvals', 'transitions', 'deployments']) {
    await db.schema.dropTable(table).execute();
  }
}

function index(db: Kysely<unknown>, name: string, columns: string[]): Promise<void> {
  return db.schema.createIndex(name).on('deployments').columns(columns).execute();
}
