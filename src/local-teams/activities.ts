import type { Account, Directory, User } from './directory.js';
import type { Activity, Conversation } from './state.js';

/**
 * Activities as Teams sends them to a bot: channelId `msteams`, `from` with `aadObjectId`,
 * `conversation` with `conversationType` and `tenantId`, Teams' `channelData`, mentions as
 * `<at>Name</at>` with a mention entity (learn.microsoft.com/microsoftteams/platform/bots/
 * how-to/conversations/conversation-messages and channel-and-group-conversations;
 * shapes checked against the Agents Playground in docs/teams-probe.md).
 */

export interface Envelope {
  id: string;
  /** ISO time of the activity. */
  timestamp: string;
  serviceUrl: string;
  from: User;
  conversation: Conversation;
  /** In a channel: the post whose thread this belongs to. */
  threadId?: string | undefined;
}

export function mentionText(who: Account): string {
  return `<at>${who.name}</at>`;
}

function mentionEntity(who: Account) {
  return { type: 'mention', mentioned: { id: who.id, name: who.name }, text: mentionText(who) };
}

const CLIENT_INFO = {
  type: 'clientInfo',
  locale: 'en-US',
  country: 'US',
  platform: 'Web',
  timezone: 'UTC',
};

/** `conversation` as Teams sends it; a channel's carries the thread as `;messageid=`. */
function conversationAccount(c: Conversation, threadId: string | undefined) {
  const id = c.type === 'channel' && threadId ? `${c.id};messageid=${threadId}` : c.id;
  if (c.type === 'personal') return { conversationType: 'personal', tenantId: c.tenantId, id };
  return { isGroup: true, conversationType: c.type, tenantId: c.tenantId, id };
}

function channelData(c: Conversation, extra: Record<string, unknown> = {}) {
  const tenant = { id: c.tenantId };
  if (!c.channel) return { ...extra, tenant };
  const { team } = c.channel;
  return {
    ...extra,
    teamsChannelId: c.channel.id,
    teamsTeamId: team.id,
    channel: { id: c.channel.id },
    team: { id: team.id },
    tenant,
  };
}

function base(dir: Directory, e: Envelope): Activity {
  return {
    type: 'message',
    id: e.id,
    timestamp: e.timestamp,
    localTimestamp: e.timestamp,
    serviceUrl: e.serviceUrl,
    channelId: 'msteams',
    from: dir.account(e.from),
    conversation: conversationAccount(e.conversation, e.threadId),
    recipient: dir.bot,
    locale: 'en-US',
  };
}

export function messageActivity(
  dir: Directory,
  e: Envelope,
  input: { text: string; mentionBot: boolean; mentions: User[] },
): Activity {
  const mentioned = input.mentions.map((u) => dir.account(u));
  const lead = input.mentionBot ? `${mentionText(dir.bot)} ` : '';
  const tail = mentioned.map((m) => ` ${mentionText(m)}`).join('');
  return {
    ...base(dir, e),
    type: 'message',
    textFormat: 'plain',
    text: `${lead}${input.text}${tail}`,
    entities: [
      ...(input.mentionBot ? [mentionEntity(dir.bot)] : []),
      ...mentioned.map(mentionEntity),
      CLIENT_INFO,
    ],
    channelData: channelData(e.conversation),
  };
}

/** A press of an `Action.Execute` button (Universal Actions, `adaptiveCard/action`). */
export function cardActionActivity(
  dir: Directory,
  e: Envelope,
  input: { replyToId: string; action: Record<string, unknown> },
): Activity {
  return {
    ...base(dir, e),
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId: input.replyToId,
    value: { action: input.action, trigger: 'manual' },
    entities: [CLIENT_INFO],
    channelData: channelData(e.conversation, { source: { name: 'message' } }),
  };
}

export function installationUpdateActivity(
  dir: Directory,
  e: Envelope,
  action: 'add' | 'remove',
): Activity {
  const settings =
    e.conversation.channel !== undefined
      ? { settings: { selectedChannel: { id: e.conversation.channel.id } } }
      : {};
  return {
    ...base(dir, e),
    type: 'installationUpdate',
    action,
    channelData: channelData(e.conversation, { source: { name: 'message' }, ...settings }),
  };
}

export function conversationUpdateActivity(
  dir: Directory,
  e: Envelope,
  input: { added: Account[]; removed: Account[] },
): Activity {
  const team = e.conversation.channel !== undefined;
  const eventType = input.added.length > 0 ? 'teamMemberAdded' : 'teamMemberRemoved';
  return {
    ...base(dir, e),
    type: 'conversationUpdate',
    ...(input.added.length > 0 ? { membersAdded: input.added } : {}),
    ...(input.removed.length > 0 ? { membersRemoved: input.removed } : {}),
    channelData: channelData(e.conversation, team ? { eventType } : {}),
  };
}
