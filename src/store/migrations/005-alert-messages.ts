import type { Kysely } from 'kysely';

/**
 * One row per Alertmanager alert group and episode (POST /hooks/alertmanager): the group as last
 * merged (JSON), the deployment it was tied to, and the one chat message that shows it, so that
 * later notifications of the group update that message in place after a restart or on another
 * replica. `revision` makes every change a compare-and-set; a row without `ts` reserves the
 * message while one process posts it (as in chat_messages). A group that fires again after it
 * was resolved is a new episode, with a new message.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_messages')
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('episode', 'integer', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.references('deployments.id').onDelete('set null'))
    .addColumn('channel', 'text')
    .addColumn('ts', 'text')
    .addColumn('claimed_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_messages_pk', ['group_id', 'episode'])
    .execute();
  // A rollback of a deployment refreshes the alert messages tied to it.
  await db.schema
    .createIndex('alert_messages_deployment')
    .on('alert_messages')
    .column('deployment_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alert_messages').execute();
}
