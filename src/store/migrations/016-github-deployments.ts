import { type Kysely, sql } from 'kysely';

/**
 * Each deployment's GitHub deployment (src/integrations/github-deployments): GitHub's id for
 * it and how many of its statuses were posted, so that a restart or another replica goes on
 * from there instead of creating it again or repeating a status; who is reporting it now
 * (`claimed_by` until `claimed_until`), so two replicas never post the same status; and why
 * reporting it was given up (a ref GitHub does not know), so it is not tried again. `slot` is
 * what the deployment holds on GitHub once it succeeded (its target, or its preview's ref):
 * the index finds the deployment a newer success makes inactive, the partial one the reports
 * still open at start, and the third the ref an earlier deployment of a version was reported
 * with. `deployments.commit_sha` is the commit a build was made from, as CI told /hooks/build.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('commit_sha', 'text').execute();
  await db.schema
    .createTable('github_deployments')
    .addColumn('deployment_id', 'text', (c) =>
      c.primaryKey().references('deployments.id').onDelete('cascade'),
    )
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('slot', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('github_environment', 'text', (c) => c.notNull())
    .addColumn('transient', 'integer', (c) => c.notNull())
    .addColumn('production', 'integer', (c) => c.notNull())
    .addColumn('github_id', 'bigint')
    .addColumn('create_tried', 'integer', (c) => c.notNull())
    .addColumn('statuses', 'integer', (c) => c.notNull())
    .addColumn('last_state', 'text')
    .addColumn('open', 'integer', (c) => c.notNull())
    .addColumn('given_up', 'text')
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'bigint')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('github_deployments_slot')
    .on('github_deployments')
    .columns(['service', 'environment', 'slot', 'last_state'])
    .execute();
  await db.schema
    .createIndex('github_deployments_open')
    .on('github_deployments')
    .column('updated_at')
    .where(sql.ref('open'), '=', 1)
    .execute();
  await db.schema
    .createIndex('github_deployments_version')
    .on('github_deployments')
    .columns(['repository', 'service', 'version', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('github_deployments').execute();
  await db.schema.alterTable('deployments').dropColumn('commit_sha').execute();
}
