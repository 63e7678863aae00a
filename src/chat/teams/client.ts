import { Client as ConnectorClient } from '@microsoft/teams.api';
import type { Logger } from 'pino';
import {
  NotFoundError,
  RetryableError,
  type SlipwayError,
  ValidationError,
} from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import type { ChatClient, MessageRef, MessageView } from '../types.js';
import { type AdaptiveCard, CARD_CONTENT_TYPE, plainSummary, renderCard } from './cards.js';
import { toTeamsError } from './errors.js';
import { TEAMS_CHAT_LIMITS } from './limits.js';
import type { NameOf } from './markdown.js';
import { namesIn } from './names.js';
import { type ConversationReferences, TEAMS_PREFIX, type TeamsMember } from './references.js';
import { sdkLogger } from './sdk-logger.js';
import type { BotTokenSource } from './token.js';

/** Where Teams' Bot Connector is for a conversation Slipway has not heard from yet. */
export const DEFAULT_SERVICE_URL = 'https://smba.trafficmanager.net/teams';

/** One Bot Connector call, for metrics (as SlackCall). */
export interface TeamsCall {
  method: string;
  ok: boolean;
  /** Time spent waiting out 429s (Retry-After) during this call. */
  retriedAfterMs: number;
  error?: string;
}

export interface TeamsClientOptions {
  references: ConversationReferences;
  /** The bot's app id (`TEAMS_APP_ID`); absent in anonymous local use. */
  appId?: string | undefined;
  /** The bot's access token; absent in anonymous local use, where calls carry none. */
  token?: BotTokenSource | undefined;
  /** The tenant for proactive 1:1 chats when the person's is unknown (`TEAMS_TENANT_ID`). */
  tenantId?: string | undefined;
  /** For conversations never seen (a channel named in slipway.yaml before anyone spoke there). */
  defaultServiceUrl?: string;
  /** More names for mentions (`<@id>`) than the references know, e.g. the store's people. */
  names?: (id: string) => Promise<string | null>;
  /** Attempts per call, 429s and 5xx included. Default 5. */
  attempts?: number;
  /** A Retry-After longer than this is not waited out in line: the call fails retryable. */
  maxRetryWaitMs?: number;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  onCall?: (call: TeamsCall) => void;
  log?: Logger;
  /** Tests make waits instant. */
  wait?: (ms: number) => Promise<void>;
}

/** How a call may be retried: an update is idempotent; a keyed post must not be posted twice. */
type Safety = 'idempotent' | 'once';

/**
 * The ChatClient port over Teams' Bot Connector REST API, through the Teams SDK's API client
 * (`@microsoft/teams.api`): one client per service URL, each request carrying the bot's token.
 * Not the App's `api`: that one is bound to a single service URL and to the SDK's own
 * credentials, while a Teams tenant's conversations live on the service URL their activities
 * named, and the token comes from token.ts.
 */
export function createTeamsClient(options: TeamsClientOptions): ChatClient {
  const refs = options.references;
  const attempts = options.attempts ?? 5;
  const maxWait = options.maxRetryWaitMs ?? 30_000;
  const wait = options.wait ?? ((ms: number) => sleep(ms));
  const connectors = new Map<string, ConnectorClient>();
  const log = options.log?.child({ component: 'teams-client' });

  function connector(serviceUrl: string): ConnectorClient {
    let found = connectors.get(serviceUrl);
    if (!found) {
      const token = options.token;
      found = new ConnectorClient(serviceUrl, {
        timeout: options.timeoutMs ?? 10_000,
        logger: sdkLogger(options.log),
        headers: { 'User-Agent': 'Slipway' },
        ...(token ? { token: () => token() } : {}),
      });
      connectors.set(serviceUrl, found);
    }
    return found;
  }

  async function call<T>(method: string, safety: Safety, run: () => Promise<T>): Promise<T> {
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await run();
        options.onCall?.({ method, ok: true, retriedAfterMs: waited });
        return result;
      } catch (err) {
        const error = toTeamsError(method, err);
        const delay = retryDelay(error, err, safety, attempt);
        if (delay === null || attempt >= attempts || delay > maxWait) {
          options.onCall?.({ method, ok: false, retriedAfterMs: waited, error: error.code });
          throw error;
        }
        if (isRateLimited(err)) waited += delay;
        log?.debug(
          { method, attempt, delayMs: delay, error: error.message },
          'retrying a Bot Connector call',
        );
        await wait(delay);
      }
    }
  }

  async function where(
    channel: string,
  ): Promise<{ id: string; serviceUrl: string; kind: string | null }> {
    const id = conversationIdOf(channel);
    const known = await refs.conversation(id);
    return {
      id,
      serviceUrl: known?.serviceUrl ?? options.defaultServiceUrl ?? DEFAULT_SERVICE_URL,
      kind: known?.kind ?? null,
    };
  }

  async function send(
    channel: string,
    card: AdaptiveCard,
    summary: string,
    threadTs: string | undefined,
    safety: Safety,
  ): Promise<MessageRef> {
    const target = await where(channel);
    // Only channels have threads: elsewhere a reply is a plain message (TEAMS_CHAT_LIMITS.threads).
    const conversation =
      threadTs && target.kind === 'channel' ? `${target.id};messageid=${threadTs}` : target.id;
    const result = await call('activities.create', safety, () =>
      connector(target.serviceUrl)
        .conversations.activities(conversation)
        .create(activityOf(card, summary)),
    );
    if (!result.id)
      throw new ValidationError(
        'The Bot Connector created the message but answered without its id',
      );
    return { channel: `${TEAMS_PREFIX}${target.id}`, ts: result.id };
  }

  async function cardFor(
    view: MessageView,
    refresh = true,
  ): Promise<{ card: AdaptiveCard; summary: string }> {
    const nameOf = await namesFor(view);
    return { card: renderCard(view, { nameOf, refresh }), summary: plainSummary(view, nameOf) };
  }

  function namesFor(view: Parameters<typeof namesIn>[0]): Promise<NameOf> {
    return namesIn(view, refs, options.names);
  }

  async function openDirect(user: string): Promise<string> {
    const member = await refs.member(user);
    if (!member) {
      throw new NotFoundError(
        `Slipway has not seen ${user} in Teams yet: they can message the Slipway app once, or add it in their personal scope, for Slipway to reach them`,
      );
    }
    if (member.personalConversationId) return `${TEAMS_PREFIX}${member.personalConversationId}`;
    const tenantId = member.tenantId ?? options.tenantId;
    // learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages#create-the-conversation
    const created = await call('conversations.create', 'idempotent', () =>
      connector(member.serviceUrl).conversations.create({
        isGroup: false,
        members: [{ id: member.teamsId, role: 'user', name: member.name ?? '' }],
        ...(options.appId ? { bot: { id: `28:${options.appId}` } } : {}),
        ...(tenantId ? { tenantId, channelData: { tenant: { id: tenantId } } } : {}),
      }),
    );
    await refs.saveMember({ ...member, personalConversationId: created.id });
    await refs.saveConversation({
      id: created.id,
      kind: 'personal',
      serviceUrl: member.serviceUrl,
      tenantId: tenantId ?? null,
    });
    return `${TEAMS_PREFIX}${created.id}`;
  }

  return {
    limits: TEAMS_CHAT_LIMITS,
    async post(channel, view, postOptions = {}) {
      const { card, summary } = await cardFor(view);
      // A keyed message must not appear twice, and Teams cannot be asked whether an earlier
      // attempt posted it: only refusals (429, nothing sent) are retried here, the rest is the
      // caller's to decide.
      return send(
        channel,
        card,
        summary,
        postOptions.threadTs,
        postOptions.key ? 'once' : 'idempotent',
      );
    },
    async update(ref, view) {
      const { card, summary } = await cardFor(view);
      const target = await where(ref.channel);
      await call('activities.update', 'idempotent', () =>
        connector(target.serviceUrl)
          .conversations.activities(target.id)
          .update(ref.ts, activityOf(card, summary)),
      );
    },
    async postEphemeral(channel, user, view) {
      // A click of theirs that still waits is answered in its response before this is called
      // (admission: src/chat/ack-window.ts); here no one waits.
      const target = await where(channel);
      const member = await refs.member(user);
      const delivery = deliveryTarget(target, member);
      const { card, summary } = await cardFor(view, false);
      if (delivery === 'here') {
        await send(channel, card, summary, undefined, 'idempotent');
        return;
      }
      if (delivery === 'direct') {
        try {
          await send(await openDirect(user), card, summary, undefined, 'idempotent');
          return;
        } catch (err) {
          // The app is not installed for them: say it where they asked, naming them.
          log?.info(
            { user, err },
            'could not reach a person 1:1 in Teams; answering in the conversation',
          );
        }
      }
      await send(channel, mentioning(card, member, user), summary, undefined, 'idempotent');
    },
    async respond() {
      throw new ValidationError(
        'Teams has no response_url: answers go through postEphemeral (the click’s invoke, else a 1:1 chat), so respond is never called for a Teams event',
      );
    },
    openDirect,
    async openModal() {
      // While the click waits, admission answers it with the form (src/chat/ack-window.ts):
      // Teams opens a form in answer to the click only, never later.
      throw new ValidationError(
        'The click that would show this form has already been answered (Teams waits about 5 s for it): click again',
      );
    },
    async userName(user) {
      return (await refs.member(user))?.name ?? null;
    },
  } satisfies ChatClient;
}

/**
 * Where a private answer goes when no click waits for it (Teams shows nothing to one person
 * only in a shared conversation):
 * - `here`: the conversation is the person's own 1:1 chat with the bot;
 * - `direct`: their 1:1 chat, known or created (proactive), when Slipway has seen them;
 * - `mention`: a reply in the conversation that names them, when they cannot be reached 1:1.
 */
export function deliveryTarget(
  conversation: { id: string; kind: string | null },
  member: TeamsMember | null,
): 'here' | 'direct' | 'mention' {
  if (
    conversation.kind === 'personal' &&
    (!member?.personalConversationId || member.personalConversationId === conversation.id)
  )
    return 'here';
  return member ? 'direct' : 'mention';
}

/** The card with the person's @mention first, so Teams notifies them (cards-format#mention-support-within-adaptive-cards). */
function mentioning(card: AdaptiveCard, member: TeamsMember | null, user: string): AdaptiveCard {
  if (!member)
    return {
      ...card,
      body: [
        { type: 'TextBlock', text: `For ${user.slice(TEAMS_PREFIX.length)}:`, wrap: true },
        ...card.body,
      ],
    };
  const name = member.name ?? 'you';
  const text = `<at>${name.replace(/[<>]/g, '')}</at>`;
  return {
    ...card,
    body: [{ type: 'TextBlock', text: `${text}:`, wrap: true }, ...card.body],
    msteams: {
      width: 'Full',
      entities: [{ type: 'mention', text, mentioned: { id: member.teamsId, name } }],
    } as AdaptiveCard['msteams'],
  };
}

function activityOf(card: AdaptiveCard, summary: string) {
  return {
    type: 'message' as const,
    // What notifications and the chat list show for a card.
    summary,
    attachments: [{ contentType: CARD_CONTENT_TYPE, content: card }],
  };
}

/** `teams:<conversation id>` → Teams' conversation id; anything else is not Teams'. */
export function conversationIdOf(channel: string): string {
  if (!channel.startsWith(TEAMS_PREFIX) || channel.length === TEAMS_PREFIX.length) {
    throw new ValidationError(
      `"${channel}" is not a Teams conversation: Teams ids start with ${TEAMS_PREFIX}`,
    );
  }
  return channel.slice(TEAMS_PREFIX.length);
}

function isRateLimited(err: unknown): boolean {
  return (err as { response?: { status?: number } } | null)?.response?.status === 429;
}

/**
 * How long to wait before the next attempt, or null not to retry: a 429 waits its Retry-After;
 * 5xx, timeouts and network errors back off (0.5 s, 1 s, 2 s…); a call that must happen once is
 * retried only when Teams refused it outright (429) or it never left (connection refused).
 */
function retryDelay(
  error: SlipwayError,
  err: unknown,
  safety: Safety,
  attempt: number,
): number | null {
  if (!(error instanceof RetryableError)) return null;
  const refused = isRateLimited(err) || (err as { code?: string } | null)?.code === 'ECONNREFUSED';
  if (safety === 'once' && !refused) return null;
  return error.retryAfterMs ?? Math.min(500 * 2 ** (attempt - 1), 8_000);
}
