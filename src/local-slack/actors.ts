import type { Logger } from 'pino';
import type { Forge, Sender, Sent } from './outgoing.js';
import {
  appMentionCallback,
  blockActionsPayload,
  eventId,
  findButton,
  slashCommandForm,
} from './payloads.js';
import type { ResponseTarget, ResponseUrls } from './response-url.js';
import type { LocalSlackConfig } from './schema.js';
import type { State } from './state.js';
import type { Channel, Clock, Delivery, User } from './types.js';
import type { Views } from './views.js';

export interface SlashCommandInput {
  user: string;
  channel: string;
  command?: string;
  text?: string;
  forge?: Forge;
}

export interface ClickInput {
  user: string;
  channel: string;
  /** The message (or ephemeral, for this user) holding the button. */
  ts: string;
  actionId: string;
  blockId?: string;
  forge?: Forge;
}

export interface MentionInput {
  user: string;
  channel: string;
  text: string;
  threadTs?: string;
  /** Redeliver the same event_id this many more times, with X-Slack-Retry-Num/-Reason. */
  retry?: { count: number; reason?: string };
  forge?: Forge;
}

export type CommandResult = Delivery & { responseUrl: string; triggerId: string };
export type ClickResult = Delivery & { responseUrl: string; triggerId: string; actionTs: string };
export type MentionResult = Delivery & { eventId: string; ts: string; deliveries: Delivery[] };

/**
 * People in the workspace: they run slash commands, click buttons and mention the bot. Each
 * action reaches the app as Slack would send it and returns what the app answered.
 */
export function createActors(deps: {
  cfg: LocalSlackConfig;
  state: State;
  clock: Clock;
  sender: Sender;
  responseUrls: ResponseUrls;
  /** Issues the trigger_id each command and click carries, for views.open. */
  views: Views;
  log: Logger;
}) {
  const { cfg, state, sender, responseUrls, views } = deps;
  const timers = new Set<NodeJS.Timeout>();

  function who(user: string, channel: string, forge?: Forge): { u: User; ch: Channel } {
    sender.assertReady(forge);
    const u = state.users.get(user);
    if (!u || u.isBot) throw new Error(`local-slack: unknown user "${user}"`);
    const ch = state.resolveChannel(channel);
    if (!ch) throw new Error(`local-slack: unknown channel "${channel}"`);
    return { u, ch };
  }

  /** Why Slack would retry this delivery (events only), or undefined if it succeeded. */
  function retryReason(sent: Sent): string | undefined {
    const d = sent.delivery;
    if (d.timedOut) return d.mode === 'socket' ? 'timeout' : 'http_timeout';
    if (d.error) return 'connection_failed';
    if (d.status !== undefined && (d.status < 200 || d.status > 299)) {
      return sent.noRetry ? undefined : 'http_error';
    }
    return undefined;
  }

  /** Events API retries: nearly immediately, then after 1 and 5 minutes (configurable). */
  function scheduleRetry(
    payload: Record<string, unknown>,
    id: string,
    attempt: number,
    prev: Sent,
  ) {
    const reason = retryReason(prev);
    const delay = cfg.eventRetryDelaysMs[attempt - 1];
    if (!reason || delay === undefined) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      sender
        .send({
          kind: 'events_api',
          payload,
          encoding: 'json',
          attempt,
          retryReason: reason,
          eventId: id,
        })
        .then((sent) => scheduleRetry(payload, id, attempt + 1, sent))
        .catch((err: unknown) => deps.log.warn({ err, eventId: id }, 'event retry failed'));
    }, delay);
    timers.add(timer);
  }

  return {
    async slashCommand(input: SlashCommandInput): Promise<CommandResult> {
      const { u, ch } = who(input.user, input.channel, input.forge);
      const target: ResponseTarget = { kind: 'command', channel: ch.id, user: u.id };
      const responseUrl = responseUrls.issue(target);
      const trigger = views.issueTrigger(u.id);
      const form = slashCommandForm({
        cfg,
        channel: ch,
        user: u,
        command: input.command ?? '/deploy',
        text: input.text ?? '',
        responseUrl,
        triggerId: trigger,
      });
      const sent = await sender.send({
        kind: 'slash_commands',
        payload: form,
        encoding: 'form',
        attempt: 0,
        forge: input.forge,
        commandTarget: target,
      });
      return { ...sent.delivery, responseUrl, triggerId: trigger };
    },

    async clickButton(input: ClickInput): Promise<ClickResult> {
      const { u, ch } = who(input.user, input.channel, input.forge);
      const message = state.find(ch.id, input.ts);
      const ephemeral = message ? undefined : state.findEphemeral(u.id, input.ts);
      const holder = message ?? ephemeral;
      if (!holder) throw new Error(`local-slack: no message ${input.ts} in ${input.channel}`);
      const found = findButton(holder.blocks, input.actionId, input.blockId);
      if ('error' in found) throw new Error(`local-slack: ${found.error} in message ${input.ts}`);
      const target: ResponseTarget = {
        kind: 'interaction',
        channel: ch.id,
        user: u.id,
        original: { ts: holder.ts, ephemeral: !message },
      };
      const responseUrl = responseUrls.issue(target);
      const trigger = views.issueTrigger(u.id);
      const actionTs = (deps.clock() / 1000).toFixed(6);
      const payload = blockActionsPayload({
        cfg,
        channel: ch,
        user: u,
        message: holder,
        ephemeral: !message,
        found,
        actionTs,
        responseUrl,
        triggerId: trigger,
      });
      const sent = await sender.send({
        kind: 'interactive',
        payload,
        encoding: 'form-payload',
        attempt: 0,
        forge: input.forge,
      });
      return { ...sent.delivery, responseUrl, triggerId: trigger, actionTs };
    },

    async mention(input: MentionInput): Promise<MentionResult> {
      const { u, ch } = who(input.user, input.channel, input.forge);
      if (ch.isIm) {
        // "Messages sent to your app in direct message conversations are not dispatched via
        // app_mention" (docs.slack.dev/reference/events/app_mention); apps get message.im.
        throw new Error(
          'local-slack: Slack sends no app_mention in a DM; use a slash command there',
        );
      }
      const tag = `<@${cfg.botUserId}>`;
      const text = input.text.startsWith(tag) ? input.text : `${tag} ${input.text}`;
      // The person's message exists in the channel whatever the app does with the event.
      const message = state.post({
        channel: ch.id,
        text,
        threadTs: input.threadTs,
        user: u.id,
        source: 'user',
      });
      const id = eventId();
      const payload = appMentionCallback({
        cfg,
        channel: ch,
        user: u,
        message,
        eventId: id,
        eventTime: Math.floor(deps.clock() / 1000),
      });
      const base = { kind: 'events_api' as const, payload, encoding: 'json' as const, eventId: id };
      const first = await sender.send({ ...base, attempt: 0, forge: input.forge });
      const deliveries = [first.delivery];
      if (input.retry) {
        for (let n = 1; n <= input.retry.count; n++) {
          const reason = input.retry.reason ?? 'http_timeout';
          const sent = await sender.send({
            ...base,
            attempt: n,
            retryReason: reason,
            forge: input.forge,
          });
          deliveries.push(sent.delivery);
        }
      } else if (!input.forge) {
        // A forged request is not Slack's, so Slack would not retry it.
        scheduleRetry(payload, id, 1, first);
      }
      return { ...first.delivery, eventId: id, ts: message.ts, deliveries };
    },

    stop(): void {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

export type Actors = ReturnType<typeof createActors>;
