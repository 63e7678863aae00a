import type { Kysely } from 'kysely';

/**
 * The branch or tag a deployed version was built from (CI reports it with the build), so a
 * preview can be named and torn down after it. NULL for versions deployed by hand.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('ref_type', 'text').execute();
  await db.schema.alterTable('deployments').addColumn('ref_name', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').dropColumn('ref_name').execute();
  await db.schema.alterTable('deployments').dropColumn('ref_type').execute();
}
