import type { Kysely } from 'kysely';

/**
 * Signed chat deliveries already acted on, kept until the delivery could no longer pass
 * verification (Slack refuses a signature more than 5 minutes off its timestamp), so that a
 * request replayed after a restart, or to another replica, is recognised as a repeat. The
 * expiry index lets the periodic prune delete old rows without scanning the table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('seen_deliveries')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('seen_deliveries_expires_at')
    .on('seen_deliveries')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('seen_deliveries').execute();
}
