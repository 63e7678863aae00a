import type { Kysely } from 'kysely';

/**
 * People as the chat platform names them, by their chat id: the CLI and the API show names
 * where the core writes ids. `refreshed_at` is when the platform was last asked, so that a name
 * is asked again at most once a day (Slack's users.info is rate-limited), across restarts and
 * replicas.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('people')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('refreshed_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('people').execute();
}
