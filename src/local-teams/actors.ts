import {
  cardActionActivity,
  conversationUpdateActivity,
  installationUpdateActivity,
  messageActivity,
} from './activities.js';
import { ADAPTIVE_CARD, adaptiveCardProblems, executeActions } from './cards.js';
import type { Deliver, DeliverOptions, DeliveryResult } from './delivery.js';
import type { Account, Directory, User } from './directory.js';
import { botInstalledIn, type Conversation, current, membersOf, type State } from './state.js';

/** People acting in Teams: what a test makes them do, delivered to the bot as Teams would. */

export interface MessageInput extends DeliverOptions {
  /** User key, `29:` id or Entra object id. */
  from: string;
  text: string;
  /** `personal` (default), a channel or group chat by key or id, or a conversation id. */
  in?: string;
  /** In a channel: the post to reply under; a new post when omitted. */
  thread?: string;
  /** Prefix `<at>Bot</at>`; default on in channels and group chats, off in 1:1 chats. */
  mentionBot?: boolean;
  /** People to mention after the text, by key. */
  mentions?: string[];
}

export interface MessageResult extends Partial<DeliveryResult> {
  activityId: string;
  /** Teams delivers channel and group chat posts only when they @mention the bot. */
  delivered: boolean;
}

export interface CardActionInput extends DeliverOptions {
  from: string;
  /** The message whose card is pressed. */
  activityId: string;
  /** Which `Action.Execute` to press: by verb, or by title. */
  verb?: string;
  title?: string;
  /** Values of the card's inputs, merged into the action's data as Teams does. */
  inputs?: Record<string, unknown>;
}

export interface CardActionResult extends DeliveryResult {
  /** What the person sees after pressing, from the bot's invoke response. */
  shown: { card?: unknown; message?: unknown; error?: string };
}

export interface InstallationInput extends DeliverOptions {
  from: string;
  in?: string;
  action?: 'add' | 'remove';
}

export interface ConversationUpdateInput extends DeliverOptions {
  from: string;
  in: string;
  /** User keys, or `bot`. */
  added?: string[];
  removed?: string[];
}

function shownAfterInvoke(status: number | undefined, body: unknown): CardActionResult['shown'] {
  if (status !== 200) return { error: status === undefined ? 'no_answer' : `http_${status}` };
  const b = (body ?? {}) as { statusCode?: unknown; type?: unknown; value?: unknown };
  if (b.type === ADAPTIVE_CARD && adaptiveCardProblems(b.value, '/value').length === 0) {
    return { card: b.value };
  }
  if (b.type === 'application/vnd.microsoft.activity.message') return { message: b.value };
  return { error: 'invalid_response' };
}

export function createActors(deps: {
  state: State;
  directory: Directory;
  deliver: Deliver;
  serviceUrl: () => string;
  clock: () => number;
}) {
  const { state, directory: dir, deliver } = deps;

  function person(ref: string): User {
    const u = dir.user(ref);
    if (!u) throw new Error(`local-teams: no user "${ref}"`);
    return u;
  }

  function place(ref: string | undefined, who: User): Conversation {
    if (ref === undefined || ref === 'personal') return state.personal(who);
    const id = dir.channel(ref)?.id ?? dir.groupChat(ref)?.id ?? ref;
    const c = state.conversation(id);
    if (!c) throw new Error(`local-teams: no conversation "${ref}"`);
    if (!membersOf(c).includes(who)) {
      throw new Error(
        `local-teams: ${who.key} is not a member of ${ref}, so Teams would not let them post`,
      );
    }
    return c;
  }

  const envelope = (from: User, conversation: Conversation, threadId?: string) => ({
    id: state.nextActivityId(),
    timestamp: new Date(deps.clock()).toISOString(),
    serviceUrl: deps.serviceUrl(),
    from,
    conversation,
    threadId,
  });

  async function message(input: MessageInput): Promise<MessageResult> {
    const from = person(input.from);
    const c = place(input.in, from);
    if (input.thread !== undefined && state.find(c, input.thread)?.threadId !== input.thread) {
      throw new Error(`local-teams: no post ${input.thread} to reply under in ${input.in}`);
    }
    const e = envelope(from, c);
    e.threadId = c.type === 'channel' ? (input.thread ?? e.id) : undefined;
    const mentionBot = input.mentionBot ?? c.type !== 'personal';
    const mentions = (input.mentions ?? []).map(person);
    const activity = messageActivity(dir, e, { text: input.text, mentionBot, mentions });
    const { threadId } = e;
    state.post(c, { id: e.id, threadId, from: dir.account(from), byBot: false, activity });
    if (!botInstalledIn(c) || (c.type !== 'personal' && !mentionBot)) {
      return { activityId: e.id, activity, delivered: false };
    }
    return { ...(await deliver(activity, input)), activityId: e.id, delivered: true };
  }

  async function pressCard(input: CardActionInput): Promise<CardActionResult> {
    const from = person(input.from);
    const found = state.findAnywhere(input.activityId);
    if (!found || found.activity.deleted) {
      throw new Error(`local-teams: no message ${input.activityId} to press a button on`);
    }
    if (!membersOf(found.conversation).includes(from)) {
      throw new Error(`local-teams: ${from.key} cannot see message ${input.activityId}`);
    }
    const shown = current(found.activity);
    const cards = ((shown.attachments ?? []) as Array<{ contentType?: string; content?: unknown }>)
      .filter((a) => a.contentType === ADAPTIVE_CARD)
      .map((a) => a.content);
    const buttons = cards.flatMap(executeActions);
    const pressed = buttons.find(
      (b) =>
        (input.verb !== undefined && b.verb === input.verb) ||
        (input.title !== undefined && b.title === input.title),
    );
    if (!pressed) {
      const offered = buttons.map((b) => `${String(b.title)} (${String(b.verb)})`).join(', ');
      throw new Error(
        `local-teams: message ${input.activityId} has no such button; it offers: ${offered || 'none'}`,
      );
    }
    const { title: _t, ...action } = pressed;
    const data = {
      ...((pressed.data as Record<string, unknown> | undefined) ?? {}),
      ...input.inputs,
    };
    const e = envelope(from, found.conversation, found.activity.threadId);
    const activity = cardActionActivity(dir, e, {
      replyToId: input.activityId,
      action: { ...action, data },
    });
    const result = await deliver(activity, input);
    return { ...result, shown: shownAfterInvoke(result.status, result.body) };
  }

  async function installationUpdate(input: InstallationInput): Promise<DeliveryResult> {
    const from = person(input.from);
    const c = place(input.in, from);
    const installed = (input.action ?? 'add') === 'add';
    if (c.channel) c.channel.team.botInstalled = installed;
    else if (c.chat) c.chat.botInstalled = installed;
    else from.installed = installed;
    const e = envelope(from, c);
    return deliver(installationUpdateActivity(dir, e, input.action ?? 'add'), input);
  }

  async function conversationUpdate(input: ConversationUpdateInput): Promise<DeliveryResult> {
    const from = person(input.from);
    const c = place(input.in, from);
    const roster = c.channel?.team.members ?? c.chat?.members;
    const resolve = (refs: string[] | undefined, add: boolean): Account[] =>
      (refs ?? []).map((ref) => {
        if (ref === 'bot') {
          if (c.channel) c.channel.team.botInstalled = add;
          else if (c.chat) c.chat.botInstalled = add;
          return { id: dir.bot.id } as Account;
        }
        const u = person(ref);
        if (roster && add && !roster.includes(u)) roster.push(u);
        if (roster && !add && roster.includes(u)) roster.splice(roster.indexOf(u), 1);
        return { id: u.id, aadObjectId: u.aadObjectId } as Account;
      });
    const added = resolve(input.added, true);
    const removed = resolve(input.removed, false);
    const e = envelope(from, c);
    return deliver(conversationUpdateActivity(dir, e, { added, removed }), input);
  }

  return { message, pressCard, installationUpdate, conversationUpdate };
}
