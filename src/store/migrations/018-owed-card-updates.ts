import type { Kysely } from 'kysely';

/**
 * Deployments whose chat cards a stopping process could not bring up to date in its time for the
 * last chat calls (SLIPWAY_SHUTDOWN_CHAT_TIMEOUT, behind Slack's rate limits): the next process
 * to start shows them as the store has them, then deletes the row. Rows are few and short-lived.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('owed_card_updates')
    .addColumn('deployment_id', 'text', (c) =>
      c.primaryKey().references('deployments.id').onDelete('cascade'),
    )
    .addColumn('owed_since', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('owed_card_updates').execute();
}
