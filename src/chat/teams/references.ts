import type { Account, Activity } from './schema.js';

/**
 * Conversation references: what the bot must remember to write to a conversation or a person
 * later, unprompted (learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages).
 * The Bot Connector has no directory: a conversation's service URL and tenant, a person's Teams
 * id and their 1:1 chat are learnt from the activities Teams sends, every one of which is
 * recorded (installations, conversation updates, messages, clicks).
 */

export type TeamsConversationKind = 'personal' | 'groupChat' | 'channel';

export interface TeamsConversation {
  /** Teams' conversation id, without a thread's `;messageid=` suffix. */
  id: string;
  kind: TeamsConversationKind;
  serviceUrl: string;
  tenantId: string | null;
}

export interface TeamsMember {
  /** The core's id for them: `teams:<aadObjectId>`, or `teams:<Teams id>` without one. */
  user: string;
  /** Their id in Bot Framework activities (`29:…`). */
  teamsId: string;
  aadObjectId: string | null;
  name: string | null;
  tenantId: string | null;
  serviceUrl: string;
  /** Their 1:1 chat with the bot, once known. */
  personalConversationId: string | null;
}

/** Where references are kept: in memory (tests, `slipway dev`), or the store (chat_conversations). */
export interface ConversationReferences {
  saveConversation(conversation: TeamsConversation): Promise<void>;
  /** Null fields keep what was known: a channel message does not forget a person's 1:1 chat. */
  saveMember(member: TeamsMember): Promise<void>;
  conversation(id: string): Promise<TeamsConversation | null>;
  member(user: string): Promise<TeamsMember | null>;
}

export const TEAMS_PREFIX = 'teams:';

/** The core's id of a Teams account (decided design: `teams:<aadObjectId>` or `teams:<id>`). */
export function userIdOf(account: Pick<Account, 'id' | 'aadObjectId'>): string {
  return `${TEAMS_PREFIX}${account.aadObjectId || account.id}`;
}

/** A conversation id without the thread it was addressed to (`19:x@thread.tacv2;messageid=1`). */
export function splitThread(conversationId: string): { id: string; thread: string | null } {
  const m = /^(.*);messageid=([^;]+)$/.exec(conversationId);
  return m
    ? { id: m[1] ?? conversationId, thread: m[2] ?? null }
    : { id: conversationId, thread: null };
}

export function kindOf(conversation: NonNullable<Activity['conversation']>): TeamsConversationKind {
  const type = conversation.conversationType;
  if (type === 'channel' || type === 'groupChat' || type === 'personal') return type;
  return conversation.isGroup ? 'groupChat' : 'personal';
}

export function tenantOf(activity: Activity): string | null {
  return activity.conversation?.tenantId ?? activity.channelData?.tenant?.id ?? null;
}

/** What an activity teaches: its conversation and the people in it (never the bot itself). */
export function referencesOf(activity: Activity): {
  conversation: TeamsConversation | null;
  members: TeamsMember[];
} {
  const serviceUrl = activity.serviceUrl;
  if (!activity.conversation || !serviceUrl) return { conversation: null, members: [] };
  const { id } = splitThread(activity.conversation.id);
  const kind = kindOf(activity.conversation);
  const tenantId = tenantOf(activity);
  const botId = activity.recipient?.id;
  const people = [activity.from, ...(activity.membersAdded ?? [])].filter(
    (a): a is Account =>
      a !== undefined && a.id !== botId && a.role !== 'bot' && !a.id.startsWith('28:'),
  );
  const seen = new Set<string>();
  const members = people.flatMap((a) => {
    if (seen.has(a.id)) return [];
    seen.add(a.id);
    return [
      {
        user: userIdOf(a),
        teamsId: a.id,
        aadObjectId: a.aadObjectId ?? null,
        name: a.name?.trim() || null,
        tenantId,
        serviceUrl,
        personalConversationId: kind === 'personal' ? id : null,
      },
    ];
  });
  return { conversation: { id, kind, serviceUrl, tenantId }, members };
}

/** References kept in this process only: tests, and a local run against the Agents Playground. */
export function createMemoryReferences(): ConversationReferences {
  const conversations = new Map<string, TeamsConversation>();
  const members = new Map<string, TeamsMember>();
  return {
    async saveConversation(conversation) {
      conversations.set(conversation.id, { ...conversation });
    },
    async saveMember(member) {
      members.set(member.user, mergeMember(members.get(member.user), member));
    },
    async conversation(id) {
      const found = conversations.get(id);
      return found ? { ...found } : null;
    },
    async member(user) {
      const found = members.get(user);
      return found ? { ...found } : null;
    },
  };
}

/** A newer sighting wins, except that it never forgets what it does not say. */
export function mergeMember(known: TeamsMember | undefined, seen: TeamsMember): TeamsMember {
  if (!known) return { ...seen };
  return {
    user: seen.user,
    teamsId: seen.teamsId,
    aadObjectId: seen.aadObjectId ?? known.aadObjectId,
    name: seen.name ?? known.name,
    tenantId: seen.tenantId ?? known.tenantId,
    serviceUrl: seen.serviceUrl,
    personalConversationId: seen.personalConversationId ?? known.personalConversationId,
  };
}
