import type { Kysely } from 'kysely';

/**
 * Conversation references: what a chat platform without a directory (Teams' Bot Connector)
 * needs to write to a conversation or a person unprompted, learnt from the activities it sends.
 * `chat_conversations` holds where each conversation lives (its service URL and tenant);
 * `chat_members` who each person is there and their 1:1 chat with the bot, by the core's id for
 * them (`teams:<aadObjectId>`). Shared by replicas: whichever received the activity, any can
 * post. Rows are upserted on every activity; `updated_at` lets an older sighting lose.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('chat_conversations')
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('service_url', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('chat_conversations_pk', ['platform', 'id'])
    .execute();
  await db.schema
    .createTable('chat_members')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('platform_user_id', 'text', (c) => c.notNull())
    .addColumn('aad_object_id', 'text')
    .addColumn('name', 'text')
    .addColumn('tenant_id', 'text')
    .addColumn('service_url', 'text', (c) => c.notNull())
    .addColumn('personal_conversation_id', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('chat_members').execute();
  await db.schema.dropTable('chat_conversations').execute();
}
