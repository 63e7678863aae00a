import type { Logger } from 'pino';
import type { ChatClient, InboundEvent, MessageView } from './types.js';

/** How the handler answers a person: privately, or in a channel for everyone to see. */

interface ReplyDeps {
  chat: ChatClient;
  log: Logger;
}

/**
 * In the channel, in the thread the command came from, if any. The announcement of a deployment
 * is keyed by it, so a post that timed out after Slack stored it is not posted twice.
 */
export async function announce(
  e: InboundEvent,
  view: MessageView,
  deps: ReplyDeps,
  deploymentId?: string,
): Promise<void> {
  const threadTs = e.kind === 'command' ? e.threadTs : null;
  try {
    await deps.chat.post(e.channel, view, {
      ...(threadTs ? { threadTs } : {}),
      ...(deploymentId ? { key: { subject: deploymentId, purpose: 'announcement' } } : {}),
    });
  } catch (err) {
    // The change happened; if the channel cannot be written to, at least the asker knows.
    deps.log.warn({ err, channel: e.channel }, 'could not announce in the channel');
    await answerPrivately(e, view, deps);
  }
}

/** Only the person sees it: through the response_url when there is one. */
export function answerPrivately(
  e: InboundEvent,
  view: MessageView,
  deps: ReplyDeps,
): Promise<void> {
  return toThePerson(e, view, deps, false);
}

/**
 * Only the person sees it, in place of the private message they clicked a button on (a
 * question answered); without a response_url, as a new private message.
 */
export function replaceAnswer(e: InboundEvent, view: MessageView, deps: ReplyDeps): Promise<void> {
  return toThePerson(e, view, deps, true);
}

async function toThePerson(
  e: InboundEvent,
  view: MessageView,
  deps: ReplyDeps,
  replaceOriginal: boolean,
): Promise<void> {
  if (e.responseUrl) {
    await deps.chat.respond(e.responseUrl, view, { ephemeral: true, replaceOriginal });
  } else {
    await deps.chat.postEphemeral(e.channel, e.user, view);
  }
}

/**
 * In each of `channels` (once each); when none can be written to, the person who acted at
 * least sees it. Used for button clicks in direct messages, whose news belongs elsewhere.
 */
export async function announceIn(
  e: InboundEvent,
  channels: readonly (string | null | undefined)[],
  view: MessageView,
  deps: ReplyDeps,
): Promise<void> {
  const targets = [...new Set(channels.filter((c): c is string => typeof c === 'string'))];
  let posted = 0;
  for (const channel of targets) {
    try {
      await deps.chat.post(channel, view);
      posted++;
    } catch (err) {
      deps.log.warn({ err, channel }, 'could not announce in the channel');
    }
  }
  if (posted === 0) await answerPrivately(e, view, deps);
}
