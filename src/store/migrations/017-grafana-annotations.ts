import { type Kysely, sql } from 'kysely';

/**
 * The Grafana annotation of each deployment that ran (src/integrations/grafana): Grafana's id
 * for it, so that whichever process or replica sees the deployment end writes its end, and
 * when that end was written. A row is inserted before the annotation is created
 * (`annotation_id` NULL, `claimed_by` the process creating it): whoever inserts it is the one
 * creator, and a reservation left by a process that died is taken over once stale. The partial
 * index serves the sweep that finishes annotations still open, which are few among all rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('grafana_annotations')
    .addColumn('deployment_id', 'text', (c) =>
      c.primaryKey().references('deployments.id').onDelete('cascade'),
    )
    .addColumn('annotation_id', 'bigint')
    .addColumn('claimed_by', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('grafana_annotations_open')
    .on('grafana_annotations')
    .column('claimed_at')
    .where(sql.ref('ended_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('grafana_annotations').execute();
}
