import type { ChatConversationRecord, ChatMemberRecord, Store } from '../../store/types.js';
import type {
  ConversationReferences,
  TeamsConversation,
  TeamsConversationKind,
  TeamsMember,
} from './references.js';

export type ReferenceStore = Pick<
  Store,
  'saveChatConversation' | 'findChatConversation' | 'saveChatMember' | 'findChatMember'
>;

const PLATFORM = 'teams';
const KINDS: ReadonlySet<string> = new Set<TeamsConversationKind>([
  'personal',
  'groupChat',
  'channel',
]);

/**
 * Conversation references in the store (chat_conversations, chat_members), so that every
 * replica can reach a conversation or a person whichever replica Teams sent their activity to,
 * and a restart forgets no one. Each sighting is stamped with the time it is saved: the newest
 * wins, and what it does not say (a person's 1:1 chat, seen in a channel) is kept.
 */
export function storeReferences(
  store: ReferenceStore,
  now: () => Date = () => new Date(),
): ConversationReferences {
  return {
    async saveConversation(c) {
      await store.saveChatConversation({
        platform: PLATFORM,
        id: c.id,
        kind: c.kind,
        serviceUrl: c.serviceUrl,
        tenantId: c.tenantId,
        updatedAt: now(),
      });
    },
    async saveMember(m) {
      await store.saveChatMember({
        userId: m.user,
        platform: PLATFORM,
        platformUserId: m.teamsId,
        aadObjectId: m.aadObjectId,
        name: m.name,
        tenantId: m.tenantId,
        serviceUrl: m.serviceUrl,
        personalConversationId: m.personalConversationId,
        updatedAt: now(),
      });
    },
    async conversation(id) {
      const row = await store.findChatConversation(PLATFORM, id);
      return row ? conversationOf(row) : null;
    },
    async member(user) {
      const row = await store.findChatMember(user);
      return row && row.platform === PLATFORM ? memberOf(row) : null;
    },
  };
}

function conversationOf(row: ChatConversationRecord): TeamsConversation {
  return {
    id: row.id,
    // A kind this version does not know is read as a group chat: no threads, no 1:1 shortcut.
    kind: KINDS.has(row.kind) ? (row.kind as TeamsConversationKind) : 'groupChat',
    serviceUrl: row.serviceUrl,
    tenantId: row.tenantId,
  };
}

function memberOf(row: ChatMemberRecord): TeamsMember {
  return {
    user: row.userId,
    teamsId: row.platformUserId,
    aadObjectId: row.aadObjectId,
    name: row.name,
    tenantId: row.tenantId,
    serviceUrl: row.serviceUrl,
    personalConversationId: row.personalConversationId,
  };
}
