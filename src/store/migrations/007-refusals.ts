import type { Kysely } from 'kysely';

/**
 * One row per request Slipway refused (not a deployer, frozen, locked, …), so the audit trail
 * shows what was attempted, not only what ran. Rows are only ever inserted. `deployment_id`
 * has no foreign key: a refusal may name a deployment that does not exist (a stale button, a
 * mistyped id), and that attempt belongs in the trail too.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('refusals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('service', 'text')
    .addColumn('environment', 'text')
    .addColumn('version', 'text')
    .addColumn('deployment_id', 'text')
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('correlation_id', 'text')
    .execute();
  // Every read is newest first: the whole trail, one target's, or one deployment's.
  await db.schema
    .createIndex('refusals_at')
    .on('refusals')
    .columns(['at desc', 'id desc'])
    .execute();
  await db.schema
    .createIndex('refusals_target')
    .on('refusals')
    .columns(['service', 'environment', 'at desc'])
    .execute();
  await db.schema
    .createIndex('refusals_deployment')
    .on('refusals')
    .column('deployment_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('refusals').execute();
}
