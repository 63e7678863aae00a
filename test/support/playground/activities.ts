import type {
  PlaygroundPerson,
  PlaygroundSetup,
} from '../../../src/local-teams/playground/index.js';
import { type ChatTarget, channelOf, conversationOf } from './page.js';

/** An activity as Bot Framework shapes it; only what tests read is typed. */
export interface Activity {
  type: string;
  id?: string;
  name?: string;
  text?: string;
  from?: { id: string; name?: string; aadObjectId?: string };
  conversation?: { id: string; conversationType?: string; isGroup?: boolean; tenantId?: string };
  replyToId?: string;
  [field: string]: unknown;
}

export interface InjectMessageOptions {
  /** The sender, by key (`bob`). */
  from: string;
  chat: ChatTarget;
  text: string;
  /** Prefixes `<at>Bot</at> ` with its mention entity, as Teams does; true when not given. */
  mention?: boolean;
  /** In a channel: the root message id of the thread to reply in. See `injectMessage`. */
  thread?: string;
}

/**
 * A message from `sender` in the shape the Playground's page sends its own (docs/teams-probe.md
 * has samples), so the bot cannot tell the two apart. `root` is the thread of a channel message.
 */
export function messageActivity(
  setup: PlaygroundSetup,
  serviceUrl: string,
  sender: PlaygroundPerson,
  options: InjectMessageOptions,
  root: string | undefined,
): Activity {
  const mention = options.mention ?? true;
  const at = `<at>${setup.bot.name}</at>`;
  return {
    type: 'message',
    ...placeOf(setup, options, root),
    timestamp: new Date().toISOString(),
    serviceUrl,
    channelId: 'msteams',
    from: { id: sender.id, name: sender.name, aadObjectId: sender.aadObjectId },
    recipient: setup.bot,
    text: mention ? `${at} ${options.text}` : options.text,
    textFormat: 'plain',
    locale: 'en-US',
    entities: [
      ...(mention ? [{ type: 'mention', mentioned: setup.bot, text: at }] : []),
      { type: 'clientInfo', locale: 'en-US', country: 'US', timezone: 'UTC' },
    ],
  };
}

/** The message's id, conversation and channelData, as Teams shapes them for each kind of chat. */
function placeOf(setup: PlaygroundSetup, options: InjectMessageOptions, root: string | undefined) {
  const tenant = { id: setup.tenantId };
  const id = nextActivityId();
  if (options.chat === 'personal' || options.chat === 'group') {
    const group = options.chat === 'group';
    return {
      id,
      conversation: {
        ...(group ? { isGroup: true } : {}),
        conversationType: group ? 'groupChat' : 'personal',
        tenantId: setup.tenantId,
        id: conversationOf(setup, options.chat),
      },
      channelData: { tenant },
    };
  }
  if (!root) throw new Error(`a message in ${options.chat} needs the root of its thread`);
  const channel = channelOf(setup, options.chat);
  return {
    // A channel post's id is its thread's; a reply in a thread has its own.
    id: options.thread ? id : root,
    conversation: {
      isGroup: true,
      conversationType: 'channel',
      tenantId: setup.tenantId,
      id: `${channel.id};messageid=${root}`,
    },
    channelData: {
      teamsChannelId: channel.id,
      teamsTeamId: setup.team.id,
      tenant,
      team: { id: setup.team.id },
      channel: { id: channel.id },
    },
  };
}

let lastActivityId = 0;
/** Numeric ids like the Playground's own (creation times in ms), unique in this process. */
function nextActivityId(): string {
  lastActivityId = Math.max(Date.now(), lastActivityId + 1);
  return String(lastActivityId);
}
