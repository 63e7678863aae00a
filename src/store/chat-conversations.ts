import type { StoreContext } from './context.js';
import { toDate } from './rows.js';
import type { ChatConversationRecord, ChatMemberRecord } from './types.js';

/**
 * Conversation references (migration 012): upserted on every activity a platform sends, read
 * when Slipway writes unprompted. A sighting older than the stored one (another replica wrote
 * meanwhile) changes nothing.
 */
export async function saveChatConversation(
  ctx: StoreContext,
  c: ChatConversationRecord,
): Promise<void> {
  await ctx.db
    .insertInto('chat_conversations')
    .values({
      platform: c.platform,
      id: c.id,
      kind: c.kind,
      service_url: c.serviceUrl,
      tenant_id: c.tenantId,
      updated_at: c.updatedAt.getTime(),
    })
    .onConflict((oc) =>
      oc
        .columns(['platform', 'id'])
        .doUpdateSet((eb) => ({
          kind: eb.ref('excluded.kind'),
          service_url: eb.ref('excluded.service_url'),
          tenant_id: eb.fn.coalesce('excluded.tenant_id', 'chat_conversations.tenant_id'),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .whereRef('chat_conversations.updated_at', '<=', 'excluded.updated_at'),
    )
    .execute();
}

export async function findChatConversation(
  ctx: StoreContext,
  platform: string,
  id: string,
): Promise<ChatConversationRecord | null> {
  const row = await ctx.db
    .selectFrom('chat_conversations')
    .selectAll()
    .where('platform', '=', platform)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    platform: row.platform,
    id: row.id,
    kind: row.kind,
    serviceUrl: row.service_url,
    tenantId: row.tenant_id,
    updatedAt: toDate(row.updated_at),
  };
}

/** What a sighting does not say (no name, no 1:1 chat) keeps what was known. */
export async function saveChatMember(ctx: StoreContext, m: ChatMemberRecord): Promise<void> {
  await ctx.db
    .insertInto('chat_members')
    .values({
      user_id: m.userId,
      platform: m.platform,
      platform_user_id: m.platformUserId,
      aad_object_id: m.aadObjectId,
      name: m.name,
      tenant_id: m.tenantId,
      service_url: m.serviceUrl,
      personal_conversation_id: m.personalConversationId,
      updated_at: m.updatedAt.getTime(),
    })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet((eb) => ({
          platform_user_id: eb.ref('excluded.platform_user_id'),
          aad_object_id: eb.fn.coalesce('excluded.aad_object_id', 'chat_members.aad_object_id'),
          name: eb.fn.coalesce('excluded.name', 'chat_members.name'),
          tenant_id: eb.fn.coalesce('excluded.tenant_id', 'chat_members.tenant_id'),
          service_url: eb.ref('excluded.service_url'),
          personal_conversation_id: eb.fn.coalesce(
            'excluded.personal_conversation_id',
            'chat_members.personal_conversation_id',
          ),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .whereRef('chat_members.updated_at', '<=', 'excluded.updated_at'),
    )
    .execute();
}

export async function findChatMember(
  ctx: StoreContext,
  userId: string,
): Promise<ChatMemberRecord | null> {
  const row = await ctx.db
    .selectFrom('chat_members')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    userId: row.user_id,
    platform: row.platform,
    platformUserId: row.platform_user_id,
    aadObjectId: row.aad_object_id,
    name: row.name,
    tenantId: row.tenant_id,
    serviceUrl: row.service_url,
    personalConversationId: row.personal_conversation_id,
    updatedAt: toDate(row.updated_at),
  };
}
