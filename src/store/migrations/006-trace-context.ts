import type { Kysely } from 'kysely';

/**
 * The W3C `traceparent` of the request that created a deployment (NULL when tracing was off),
 * so that whichever process runs the deployment later, after a restart or on another replica,
 * continues the request's trace: one trace per deployment (README.md, "Observability").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('trace_parent', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').dropColumn('trace_parent').execute();
}
