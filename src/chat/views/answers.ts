import type { Deployment, Lock } from '../../core/deployment.js';
import type { MessageView } from '../types.js';
import { code, escapeText, mention, when } from './text.js';

/**
 * Answers to a person's command: refusals and help go only to them (ephemeral); accepted
 * locks are announced to the channel with who asked, accepted deploys by their card.
 */

/** A refused or misunderstood command: what is wrong, and what would work. */
export function refusalView(
  reason: string,
  suggestion?: string | null,
  usage?: string | null,
): MessageView {
  const body = [suggestion ? escapeText(suggestion) : null, usage ? codeBlock(usage) : null]
    .filter((line): line is string => line !== null)
    .join('\n');
  return { title: escapeText(reason), tone: 'failure', ...(body ? { body } : {}) };
}

/** Help text (commands/usage.ts), shown as it is written. */
export function usageView(text: string, title = 'Slipway commands'): MessageView {
  return { title: escapeText(title), tone: 'neutral', body: codeBlock(text) };
}

/**
 * "@alice asked to deploy web 1.4.2 to staging": in the channel for a service that has no
 * channel of its own (no card), else only to the asker, with where its card is (`cardIn`).
 */
export function acceptedView(
  d: Deployment,
  notes: readonly string[] = [],
  cardIn?: string,
): MessageView {
  const what =
    d.kind === 'rollback'
      ? `roll back ${d.service} in ${d.environment} to ${d.version}`
      : `deploy ${d.service} ${d.version} to ${d.environment}`;
  const lines = [
    d.reason ? `Reason: ${escapeText(d.reason)}` : null,
    ...notes.map((note) => escapeText(note)),
    cardIn ? `Its progress is shown in ${channelName(cardIn)}.` : null,
  ].filter((line): line is string => line !== null);
  return {
    title: `${mention(d.requestedBy)} asked to ${escapeText(what)}`,
    tone: 'progress',
    ...(lines.length > 0 ? { body: lines.join('\n') } : {}),
    context: [code(d.id)],
  };
}

/**
 * A channel as the reader's client can show it: Slack links its own channels by id; a Teams
 * channel has no such markup in a card, so it is named by what it is.
 */
function channelName(channel: string): string {
  return channel.startsWith('teams:') ? "the service's Teams channel" : `<#${channel}>`;
}

/** A lock taken (or taken over) or released, announced in the channel. */
export function lockView(
  lock: Lock,
  options: { released?: boolean; by?: string; replaced?: Lock | null } = {},
): MessageView {
  const what = escapeText(
    lock.service ? `${lock.service} in ${lock.environment}` : lock.environment,
  );
  if (options.released) {
    return {
      title: `🔓 ${what} unlocked by ${mention(options.by ?? lock.owner)}`,
      tone: 'neutral',
      body: `It was locked by ${mention(lock.owner)} since ${when(lock.createdAt)}.`,
    };
  }
  const lines = [
    lock.reason ? `Reason: ${escapeText(lock.reason)}` : null,
    lock.expiresAt ? `Until ${when(lock.expiresAt)}.` : 'Until someone unlocks it.',
    options.replaced ? `Took over the lock ${mention(options.replaced.owner)} held.` : null,
    `Deployments there wait or are refused meanwhile; \`unlock ${lock.environment}${lock.service ? ` ${lock.service}` : ''}\` ends it.`,
  ].filter((line): line is string => line !== null);
  return {
    title: `🔒 ${what} locked by ${mention(lock.owner)}`,
    tone: 'neutral',
    body: lines.join('\n'),
  };
}

function codeBlock(text: string): string {
  // Three backticks inside would end the block early.
  return `\`\`\`${escapeText(text.replace(/```/g, "'''"))}\`\`\``;
}
