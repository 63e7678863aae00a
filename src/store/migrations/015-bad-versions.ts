import { type Kysely, sql } from 'kysely';

/**
 * Versions a rollback took off a target (src/core/bad-version.ts). A mark is cleared, never
 * deleted, so the audit trail keeps who marked and who overrode it. The partial unique index
 * keeps one uncleared mark per version and target, whichever replica marks it first; policy
 * looks a version up through it on every deploy request, and a target's marks are listed
 * newest first through the second index.
 *
 * `deployment_id` and `cleared_deployment_id` are not foreign keys: a mark outlives the
 * deployments that made and cleared it, as refusals do.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('bad_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('marked_at', 'bigint', (c) => c.notNull())
    .addColumn('marked_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('cleared_at', 'bigint')
    .addColumn('cleared_by', 'text')
    .addColumn('cleared_reason', 'text')
    .addColumn('cleared_deployment_id', 'text')
    .execute();
  await db.schema
    .createIndex('bad_versions_uncleared')
    .on('bad_versions')
    .columns(['service', 'environment', 'version'])
    .unique()
    .where(sql<boolean>`cleared_at is null`)
    .execute();
  await db.schema
    .createIndex('bad_versions_target')
    .on('bad_versions')
    .columns(['service', 'environment', 'marked_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('bad_versions').execute();
}
