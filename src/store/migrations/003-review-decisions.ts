import type { Kysely } from 'kysely';

/**
 * How the review of a build ended (seeds/001): its owners promoted it to the next environment
 * or closed it. One row per reviewed deployment; the first decision stands, so a promotion and
 * a close clicked at the same time on two replicas cannot both win. QA verdicts on the build
 * are rows in `approvals`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('review_decisions')
    .addColumn('deployment_id', 'text', (c) =>
      c.primaryKey().references('deployments.id').onDelete('cascade'),
    )
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('review_decisions').execute();
}
