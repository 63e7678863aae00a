import type { Kysely } from 'kysely';

/**
 * What people told a running canary (pause, resume, promote now, abort), one row each. The
 * process running the canary, on whichever replica, reads them at its next look and acts;
 * rows are only ever inserted, so a signal sent while the deployment changes hands is not lost.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('canary_signals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('canary_signals_deployment')
    .on('canary_signals')
    .columns(['deployment_id', 'at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('canary_signals').execute();
}
