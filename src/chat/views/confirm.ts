import type { Deployment } from '../../core/deployment.js';
import type { Surprise } from '../../engine/index.js';
import type { MessageView } from '../types.js';
import { code, escapeText, mention, when } from './text.js';

/**
 * Private questions and their answers, for requests a person probably did not mean
 * (engine/surprises.ts) and for requests still waiting their turn. The buttons carry the
 * command as text: a click runs it as the clicker, through policy, as if typed.
 */

/** What a confirmation button carries: the command to run and the key that makes it one. */
export interface ConfirmedCommand {
  /** The command as text that parses back to it (commands/format.ts). */
  command: string;
  /** The idempotency key of the request, so that a double click deploys once. */
  key: string;
}

export function encodeConfirmed(value: ConfirmedCommand): string {
  return JSON.stringify({ c: value.command, k: value.key });
}

/** The button's value back, or null when it is not one of ours (an older message, a forgery). */
export function decodeConfirmed(value: string): ConfirmedCommand | null {
  try {
    const parsed = JSON.parse(value) as { c?: unknown; k?: unknown };
    if (typeof parsed.c !== 'string' || typeof parsed.k !== 'string') return null;
    return { command: parsed.c, key: parsed.k };
  } catch {
    return null;
  }
}

/** "web 1.4.2 is already live in staging. Deploy it again?", with the buttons to say so. */
export function surpriseView(surprise: Surprise, confirmed: ConfirmedCommand): MessageView {
  const { service, version, environment, live } = surprise;
  const what = escapeText(`${service} ${version}`);
  const where = escapeText(environment);
  if (surprise.kind === 'live_again') {
    return {
      title: `${what} is already live in ${where}`,
      tone: 'warning',
      body: `It has been live since ${when(surprise.live.finishedAt ?? surprise.live.updatedAt)} (${code(surprise.live.id)}, by ${mention(surprise.live.requestedBy)}). Deploying it again runs the same deploy once more.`,
      actions: [
        {
          id: 'confirm_command',
          label: 'Deploy again',
          value: encodeConfirmed(confirmed),
          style: 'primary',
        },
        { id: 'dismiss', label: 'Never mind', value: confirmed.key },
      ],
    };
  }
  const now = live
    ? `${escapeText(live.version)} is live there now`
    : 'nothing has been deployed there yet';
  return {
    title: `${what} was never live in ${where}`,
    tone: 'warning',
    body: [
      `${now}, so going "back" to ${escapeText(version)} is not a rollback: it is a deploy of a version ${where} has not run, judged by the rules for a deploy.`,
      `To go back to a version that ran there, see \`history ${escapeText(service)} in ${where}\`.`,
    ].join('\n'),
    actions: [
      {
        id: 'confirm_command',
        label: `Deploy ${version}`,
        value: encodeConfirmed(confirmed),
        style: 'primary',
      },
      { id: 'dismiss', label: 'Never mind', value: confirmed.key },
    ],
  };
}

/** The question answered with "Never mind". */
export function dismissedView(): MessageView {
  return { title: 'Nothing was deployed.', tone: 'neutral' };
}

/** A request cancelled from its private answer, before it ever ran. */
export function cancelledRequestView(d: Deployment, by: string): MessageView {
  return {
    title: `Cancelled: ${escapeText(`${d.service} ${d.version} → ${d.environment}`)}`,
    tone: 'neutral',
    body: `Cancelled by ${mention(by)} before it ran; nothing changed in ${escapeText(d.environment)}.`,
    context: [code(d.id)],
  };
}
