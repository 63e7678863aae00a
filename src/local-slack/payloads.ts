import { randomBytes, randomUUID } from 'node:crypto';
import { wireMessage } from './methods.js';
import type { LocalSlackConfig } from './schema.js';
import type { Block, Channel, Ephemeral, Message, User } from './types.js';

/**
 * The payloads Slack sends to apps, shaped after docs.slack.dev:
 * interactivity/implementing-slash-commands, reference/interaction-payloads/block_actions-payload,
 * reference/interaction-payloads/view-interactions-payload, apis/events-api (event_callback)
 * and reference/events/app_mention.
 */

export function triggerId(): string {
  const n = () => Math.floor(Math.random() * 1e12);
  return `${n()}.${n()}.${randomBytes(16).toString('hex')}`;
}

/** Slack's event ids look like `Ev0123ABCD45`. */
export function eventId(): string {
  return `Ev${randomBytes(6).toString('hex').toUpperCase()}`;
}

export function slashCommandForm(input: {
  cfg: LocalSlackConfig;
  channel: Channel;
  user: User;
  command: string;
  text: string;
  responseUrl: string;
  triggerId: string;
}): Record<string, string> {
  const { cfg, channel, user } = input;
  return {
    token: cfg.verificationToken,
    team_id: cfg.teamId,
    team_domain: cfg.teamDomain,
    channel_id: channel.id,
    channel_name: channel.isIm ? 'directmessage' : channel.name,
    user_id: user.id,
    user_name: user.name,
    command: input.command,
    text: input.text,
    api_app_id: cfg.appId,
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: input.triggerId,
  };
}

export interface FoundButton {
  blockId: string;
  button: Record<string, unknown>;
}

/**
 * Finds the button with this action_id in actions blocks and section accessories. Blocks
 * sent without a block_id get a stable generated one, as Slack generates one.
 */
export function findButton(
  blocks: Block[] | undefined,
  actionId: string,
  blockId?: string,
): FoundButton | { error: string } {
  const found: FoundButton[] = [];
  const seen: string[] = [];
  (blocks ?? []).forEach((block, index) => {
    const id = typeof block.block_id === 'string' ? block.block_id : `b${index}`;
    const candidates = [
      ...(block.type === 'actions' && Array.isArray(block.elements) ? block.elements : []),
      ...(block.type === 'section' && block.accessory ? [block.accessory] : []),
    ] as Array<Record<string, unknown>>;
    for (const el of candidates) {
      if (el?.type !== 'button') continue;
      seen.push(String(el.action_id));
      if (el.action_id === actionId && (!blockId || blockId === id)) {
        found.push({ blockId: id, button: el });
      }
    }
  });
  if (found.length === 1 && found[0]) return found[0];
  if (found.length > 1) return { error: `several buttons "${actionId}"; pass blockId` };
  return { error: `no button "${actionId}" (buttons: ${seen.join(', ') || 'none'})` };
}

export function blockActionsPayload(input: {
  cfg: LocalSlackConfig;
  channel: Channel;
  user: User;
  message: Message | Ephemeral;
  ephemeral: boolean;
  found: FoundButton;
  actionTs: string;
  responseUrl: string;
  triggerId: string;
}): Record<string, unknown> {
  const { cfg, channel, user, message, found } = input;
  const b = found.button;
  return {
    type: 'block_actions',
    user: { id: user.id, username: user.name, name: user.name, team_id: cfg.teamId },
    api_app_id: cfg.appId,
    token: cfg.verificationToken,
    container: {
      type: 'message',
      message_ts: message.ts,
      channel_id: channel.id,
      is_ephemeral: input.ephemeral,
    },
    trigger_id: input.triggerId,
    team: { id: cfg.teamId, domain: cfg.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel.id, name: channel.isIm ? 'directmessage' : channel.name },
    // Slack leaves `message` out for clicks in ephemeral messages.
    ...(input.ephemeral ? {} : { message: wireMessage(message as Message, cfg) }),
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [
      {
        action_id: b.action_id,
        block_id: found.blockId,
        text: b.text,
        ...(b.value !== undefined ? { value: b.value } : {}),
        ...(b.style !== undefined ? { style: b.style } : {}),
        type: 'button',
        action_ts: input.actionTs,
      },
    ],
  };
}

/** A modal submitted: `view` as views.wire gives it, with `state.values` filled in. */
export function viewSubmissionPayload(input: {
  cfg: LocalSlackConfig;
  user: User;
  view: Record<string, unknown>;
  triggerId: string;
}): Record<string, unknown> {
  const { cfg, user } = input;
  return {
    type: 'view_submission',
    team: { id: cfg.teamId, domain: cfg.teamDomain },
    user: { id: user.id, username: user.name, name: user.name, team_id: cfg.teamId },
    api_app_id: cfg.appId,
    token: cfg.verificationToken,
    trigger_id: input.triggerId,
    view: input.view,
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export function appMentionCallback(input: {
  cfg: LocalSlackConfig;
  channel: Channel;
  user: User;
  message: Message;
  eventId: string;
  eventTime: number;
}): Record<string, unknown> {
  const { cfg, message } = input;
  return {
    token: cfg.verificationToken,
    team_id: cfg.teamId,
    api_app_id: cfg.appId,
    event: {
      type: 'app_mention',
      user: input.user.id,
      text: message.text,
      ts: message.ts,
      client_msg_id: randomUUID(),
      team: cfg.teamId,
      channel: input.channel.id,
      event_ts: message.ts,
      ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    },
    type: 'event_callback',
    event_id: input.eventId,
    event_time: input.eventTime,
    authorizations: [
      {
        enterprise_id: null,
        team_id: cfg.teamId,
        user_id: cfg.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${randomBytes(8).toString('hex')}`,
  };
}
