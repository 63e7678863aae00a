import { randomUUID } from 'node:crypto';
import type { InboundEvent, MessageRef } from '../types.js';
import { FORM_MARKER, INPUT_PREFIX, REFRESH_VERB } from './cards.js';
import { kindOf, splitThread, TEAMS_PREFIX, userIdOf } from './references.js';
import { ActionInvokeValue, type Activity, mentionsIn } from './schema.js';

/** A Teams activity, after verification, as the core takes it. */
export type NormalizedTeams =
  /** A command or a click for admission; `invoke` when Teams waits for its response. */
  | { kind: 'event'; event: InboundEvent; invoke: boolean }
  /** A card asks for its current version (Universal Actions' refresh, or a form's Cancel). */
  | { kind: 'refresh'; ref: MessageRef | null }
  | { kind: 'ignore'; why: string };

/**
 * Normalizes an activity (learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/channel-and-group-conversations):
 * - a message that mentions the bot in a channel or group chat, or any message in a 1:1 chat,
 *   is a command (`mention` mode), the bot's mention removed; in a channel, `threadTs` is the
 *   thread's root (Teams names it in the conversation id, `;messageid=`);
 * - an `adaptiveCard/action` invoke is a click (the verb is the action, `data.value` its
 *   reference), a form's submit (its data carries the form marker and the inputs), or a
 *   refresh;
 * - everything else (installations, conversation updates, reactions) only teaches references.
 */
export function normalizeTeams(activity: Activity): NormalizedTeams {
  const { conversation, from } = activity;
  if (!conversation || !from) return { kind: 'ignore', why: 'no conversation or sender' };
  if (from.role === 'bot' || from.id === activity.recipient?.id)
    return { kind: 'ignore', why: 'from a bot' };
  const { id, thread } = splitThread(conversation.id);
  const channel = `${TEAMS_PREFIX}${id}`;
  const user = userIdOf(from);
  // An invoke without an id (none seen, but not promised) must not be taken for a repeat.
  const deliveryId = `teams:${activity.id ?? randomUUID()}`;
  if (activity.type === 'message') {
    const kind = kindOf(conversation);
    const botId = activity.recipient?.id;
    const mentioned = mentionsIn(activity).some((m) => m.mentioned?.id === botId);
    if (kind !== 'personal' && !mentioned)
      return { kind: 'ignore', why: 'a message that does not mention the bot' };
    if (!activity.id) return { kind: 'ignore', why: 'a message without an id' };
    const event: InboundEvent = {
      kind: 'command',
      mode: 'mention',
      text: commandText(activity),
      user,
      channel,
      // A channel post's conversation id names its thread (itself, when it starts one).
      threadTs: kind === 'channel' ? (thread ?? activity.id) : null,
      responseUrl: null,
      deliveryId,
    };
    return { kind: 'event', event, invoke: false };
  }
  if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') {
    const parsed = ActionInvokeValue.safeParse(activity.value);
    if (!parsed.success) return { kind: 'ignore', why: 'an adaptiveCard/action without a verb' };
    const { verb, data = {} } = parsed.data.action;
    const messageTs = activity.replyToId ?? '';
    if (verb === REFRESH_VERB)
      return { kind: 'refresh', ref: messageTs ? { channel, ts: messageTs } : null };
    const value = typeof data.value === 'string' ? data.value : '';
    const common = {
      actionId: verb,
      value,
      user,
      channel,
      messageTs,
      responseUrl: null,
      deliveryId,
    };
    if (data[FORM_MARKER] !== undefined) {
      return {
        kind: 'event',
        event: { kind: 'submission', ...common, fields: fieldsOf(data) },
        invoke: true,
      };
    }
    // The invoke itself is what openModal answers (invoke-answers.ts).
    return {
      kind: 'event',
      event: { kind: 'action', ...common, triggerId: deliveryId },
      invoke: true,
    };
  }
  return { kind: 'ignore', why: `${activity.type}${activity.name ? ` ${activity.name}` : ''}` };
}

/** A form's inputs, which Teams merges into the submit action's data under their ids. */
function fieldsOf(data: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key.startsWith(INPUT_PREFIX))
      fields[key.slice(INPUT_PREFIX.length)] = typeof value === 'string' ? value : '';
  }
  return fields;
}

/**
 * The text as the grammar reads it (src/commands/tokenize.ts takes Slack's escaping): the bot's
 * `<at>` mention removed, other people's mentions as their names, any other markup dropped,
 * HTML entities decoded, then `&`, `<` and `>` escaped as Slack sends them.
 */
export function commandText(activity: Activity): string {
  let text = activity.text ?? '';
  for (const m of mentionsIn(activity)) {
    if (m.mentioned?.id === activity.recipient?.id && m.text) text = text.split(m.text).join(' ');
  }
  text = text
    .replace(/<at>([^<]*)<\/at>/gi, '$1')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return text.trim().replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
