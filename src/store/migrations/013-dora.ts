import type { Kysely } from 'kysely';

/**
 * What the DORA metrics read (src/dora/README.md). `committed_at`: when the commit of a build
 * was made, as CI reported it to `/hooks/build` (NULL when it did not say, or for a version
 * deployed by hand): where lead time for changes starts. The indexes serve the DORA query: the
 * deployments of production-like environments that finished in a window, and a version's other
 * deployments (its build report, whether it went live on the same target before: without the
 * environment and time in that index, SQLite walks the environment's history for every row).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('committed_at', 'bigint').execute();
  await db.schema
    .createIndex('deployments_environment_finished')
    .on('deployments')
    .columns(['environment', 'finished_at'])
    .execute();
  await db.schema
    .createIndex('deployments_service_version')
    .on('deployments')
    .columns(['service', 'version', 'environment', 'finished_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('deployments_service_version').execute();
  await db.schema.dropIndex('deployments_environment_finished').execute();
  await db.schema.alterTable('deployments').dropColumn('committed_at').execute();
}
