import type { InboundEvent } from '../types.js';
import { decodeModalMetadata } from './modal-metadata.js';
import {
  BlockActionsPayload,
  EventCallbackBody,
  SlashCommandBody,
  UrlVerificationBody,
  ViewSubmissionPayload,
} from './schema.js';

export type Normalized =
  | { kind: 'event'; event: InboundEvent }
  | { kind: 'challenge'; challenge: string }
  /** Valid but not for us (another event type, a bot's own message). */
  | { kind: 'ignore'; why: string }
  | { kind: 'invalid'; why: string };

/**
 * Turns a verified Slack payload (slash command, block_actions, view_submission,
 * event_callback) into an InboundEvent. `body` is what the HTTP receiver parsed, or a Socket
 * Mode envelope's payload.
 */
export function normalizeSlack(body: unknown, slashCommand = '/deploy'): Normalized {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (record.type === 'url_verification') {
    const parsed = UrlVerificationBody.safeParse(record);
    return parsed.success
      ? { kind: 'challenge', challenge: parsed.data.challenge }
      : { kind: 'invalid', why: 'url_verification without a challenge' };
  }
  if (typeof record.command === 'string') return normalizeCommand(record, slashCommand);
  // Interactivity arrives form-encoded as `payload=<json>`: the HTTP receiver unwrapped it
  // (parseJsonOrForm), and Socket Mode sends it as an object.
  if (record.type === 'block_actions') return normalizeAction(record);
  if (record.type === 'view_submission') return normalizeSubmission(record);
  if (record.type === 'event_callback') return normalizeMention(record);
  return { kind: 'ignore', why: `unhandled payload type ${String(record.type ?? 'unknown')}` };
}

function normalizeCommand(record: Record<string, unknown>, slashCommand: string): Normalized {
  const parsed = SlashCommandBody.safeParse(record);
  if (!parsed.success)
    return { kind: 'invalid', why: `slash command: ${parsed.error.issues[0]?.message}` };
  const c = parsed.data;
  if (c.command !== slashCommand)
    return { kind: 'ignore', why: `command ${c.command} is not ${slashCommand}` };
  return {
    kind: 'event',
    event: {
      kind: 'command',
      mode: 'slash',
      text: c.text,
      user: c.user_id,
      channel: c.channel_id,
      threadTs: null,
      responseUrl: c.response_url ?? null,
      deliveryId: `slack:trigger:${c.trigger_id}`,
    },
  };
}

function normalizeAction(payload: unknown): Normalized {
  const parsed = BlockActionsPayload.safeParse(payload);
  if (!parsed.success)
    return { kind: 'invalid', why: `block_actions: ${parsed.error.issues[0]?.message}` };
  const p = parsed.data;
  const action = p.actions[0];
  const channel = p.channel?.id ?? p.container?.channel_id;
  const messageTs = p.message?.ts ?? p.container?.message_ts;
  if (!action || !channel || !messageTs)
    return { kind: 'invalid', why: 'block_actions without channel or message' };
  return {
    kind: 'event',
    event: {
      kind: 'action',
      actionId: action.action_id,
      value: action.value ?? '',
      user: p.user.id,
      channel,
      messageTs,
      responseUrl: p.response_url ?? null,
      // One click is one action_ts per user: a double click has two, the same delivery one.
      deliveryId: `slack:action:${p.user.id}:${messageTs}:${action.action_id}:${action.action_ts ?? p.trigger_id ?? ''}`,
      ...(p.trigger_id ? { triggerId: p.trigger_id } : {}),
    },
  };
}

/**
 * A modal submitted: the action it completes is its callback_id, the button's reference and
 * message come back in its private_metadata (modal-metadata.ts), and each input's value is
 * under its block_id (one element per input block).
 */
function normalizeSubmission(payload: unknown): Normalized {
  const parsed = ViewSubmissionPayload.safeParse(payload);
  if (!parsed.success)
    return { kind: 'invalid', why: `view_submission: ${parsed.error.issues[0]?.message}` };
  const p = parsed.data;
  const origin = decodeModalMetadata(p.view.private_metadata);
  if (!origin) return { kind: 'invalid', why: 'view_submission of a form Slipway did not open' };
  const fields: Record<string, string> = {};
  for (const [blockId, elements] of Object.entries(p.view.state.values)) {
    fields[blockId] = Object.values(elements)[0]?.value ?? '';
  }
  return {
    kind: 'event',
    event: {
      kind: 'submission',
      actionId: p.view.callback_id,
      value: origin.value,
      fields,
      user: p.user.id,
      channel: origin.channel,
      messageTs: origin.ts,
      responseUrl: null,
      // Each submission has its own trigger_id: one sent again after an error is a new one.
      deliveryId: `slack:submission:${p.view.id}:${p.trigger_id ?? ''}`,
    },
  };
}

function normalizeMention(record: Record<string, unknown>): Normalized {
  const parsed = EventCallbackBody.safeParse(record);
  if (!parsed.success)
    return { kind: 'invalid', why: `event_callback: ${parsed.error.issues[0]?.message}` };
  const { event, event_id } = parsed.data;
  if (event.type !== 'app_mention') return { kind: 'ignore', why: `event ${event.type}` };
  if (event.bot_id || !event.user || !event.channel)
    return { kind: 'ignore', why: 'mention by a bot or without a channel' };
  return {
    kind: 'event',
    event: {
      kind: 'command',
      mode: 'mention',
      text: event.text ?? '',
      user: event.user,
      channel: event.channel,
      threadTs: event.thread_ts ?? null,
      responseUrl: null,
      deliveryId: `slack:event:${event_id}`,
    },
  };
}
