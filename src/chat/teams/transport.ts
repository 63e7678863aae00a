import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { PUBLIC, withOverrides } from '@microsoft/teams.api';
import { App, type HttpRouteHandler, type IHttpServerAdapter } from '@microsoft/teams.apps';
import type { Logger } from 'pino';
import { ConfigError } from '../../core/errors.js';
import { readBody } from '../../http/body.js';
import { type Route, sendJson, sendNotConfigured } from '../../http/router.js';
import type { AckReply, Admission } from '../inbound.js';
import type { InboundEvent, MessageRef, MessageView } from '../types.js';
import {
  cardResponse,
  type InvokeResponseBody,
  invokeReply,
  messageResponse,
} from './invoke-response.js';
import { namesIn } from './names.js';
import { normalizeTeams } from './normalize.js';
import { type ConversationReferences, referencesOf } from './references.js';
import { Activity } from './schema.js';
import { sdkLogger } from './sdk-logger.js';
import type { BotTokenSource } from './token.js';

export const TEAMS_MESSAGES_PATH = '/api/messages';

/**
 * Teams waits about 5 s for an invoke's response, then shows the person an error; a message's
 * HTTP answer is read by nobody, but the Bot Connector gives up on it after 15 s
 * (learn.microsoft.com/azure/bot-service/bot-builder-howto-long-operations-guidance).
 */
export const INVOKE_DEADLINE_MS = 5_000;
export const MESSAGE_DEADLINE_MS = 15_000;

/**
 * The clicker's answer when the handler took a click, had nothing to tell them alone, and Slipway
 * keeps no card for the message they clicked: the message itself changes once the notifier
 * updates it.
 */
export const CLICK_TAKEN = 'Received: the card shows what happens next.';

/**
 * A Bot Framework token is valid for an hour, and unlike Slack's signature it covers no body:
 * one captured request can be sent again that long, so deliveries are remembered as long
 * (plus the validators' 5 minutes of clock skew).
 */
export const REPLAY_WINDOW_MS = 65 * 60_000;

/**
 * Activities are small: Teams refuses messages over about 100 KB
 * (learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages), and an
 * invoke carries one card's data. Larger bodies are refused before they are read (body.ts).
 */
const BODY_LIMIT = 256 * 1024;

export interface TeamsTransportOptions {
  /** Where verified events go (src/chat/inbound.ts). */
  admission: Admission;
  references: ConversationReferences;
  /**
   * The current view of a message Slipway posted, or null when it keeps none: the answer to a
   * refresh, and to a click the handler answered nothing to, so the clicker sees the card as it
   * stands now (their own view of a card lasts until it is refreshed or updated).
   */
  cardFor?: (ref: MessageRef) => Promise<MessageView | null>;
  /** TEAMS_APP_ID: requests must carry a Bot Framework token for it. */
  appId?: string | undefined;
  /** The bot's own token source, for the SDK's credentials (it sends nothing itself here). */
  token?: BotTokenSource | undefined;
  /** TEAMS_ANONYMOUS, honoured only without an app id and on loopback (`inboundAuth`). */
  anonymous?: boolean;
  /** The address `slipway serve` listens on: anonymous use requires loopback. */
  listenHost: string;
  /** TEAMS_OPENID_METADATA_URL: where Bot Framework's signing keys are (a local double in tests). */
  openIdMetadataUrl?: string | undefined;
  log: Logger;
}

/** How inbound requests are authenticated; decided once, at start. */
export type InboundAuth = { kind: 'jwt'; appId: string } | { kind: 'anonymous' };

/**
 * Requests are checked against Bot Framework's keys whenever an app id is set. Only without one,
 * when anonymous use is asked for and the server listens on loopback (a developer's Agents
 * Playground), is nothing checked: anyone who can reach the port could otherwise act as anyone.
 */
export function inboundAuth(options: {
  appId?: string | undefined;
  anonymous?: boolean | undefined;
  listenHost: string;
}): InboundAuth {
  if (options.appId) return { kind: 'jwt', appId: options.appId };
  if (!options.anonymous) {
    throw new ConfigError(
      "Teams needs TEAMS_APP_ID (the Azure Bot's Microsoft App ID) to check who sends activities; for Microsoft's Agents Playground on this machine, set TEAMS_ANONYMOUS=true instead.",
    );
  }
  if (!isLoopback(options.listenHost)) {
    throw new ConfigError(
      `TEAMS_ANONYMOUS takes unauthenticated Teams activities, so Slipway allows it only while it listens on loopback, not on ${options.listenHost}: listen on 127.0.0.1, or set TEAMS_APP_ID and unset TEAMS_ANONYMOUS.`,
    );
  }
  return { kind: 'anonymous' };
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').replace(/^::ffff:/, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * `POST /api/messages`: the Bot Framework messaging endpoint. The Teams SDK's App verifies
 * (its Bot Framework JWT validator: RS256 keys from the OpenID metadata, issuer, audience = the
 * app id, the token's service URL = the activity's), mounted on Slipway's router through its
 * `httpServerAdapter` seam; this module records conversation references, normalizes, and hands
 * events to admission. An invoke's HTTP response waits for what the handler answers privately
 * (a message, a form), else shows the clicker the card as it stands now (or says the click was
 * received); a refresh gets the card. `HEAD` (the Agents Playground's probe) is answered 405 by
 * the router, naming POST.
 */
export async function createTeamsTransport(options: TeamsTransportOptions): Promise<Route> {
  const log = options.log.child({ component: 'teams-http' });
  const auth = inboundAuth(options);
  if (auth.kind === 'anonymous') {
    log.warn(
      { path: TEAMS_MESSAGES_PATH },
      'TEAMS_ANONYMOUS is set: Teams activities are not authenticated; use this only with the Agents Playground on this machine',
    );
  }
  const adapter = routeAdapter();
  const app = new App({
    // Passed explicitly: otherwise the SDK reads CLIENT_ID, CLOUD and friends from the process's
    // environment, which Slipway's configuration does not name.
    ...(auth.kind === 'jwt'
      ? { clientId: auth.appId, token: options.token ?? noOutboundToken }
      : {}),
    dangerouslyAllowUnauthenticatedRequests: auth.kind === 'anonymous',
    cloud: withOverrides(
      PUBLIC,
      options.openIdMetadataUrl ? { openIdMetadataUrl: options.openIdMetadataUrl } : {},
    ),
    httpServerAdapter: adapter,
    messagingEndpoint: TEAMS_MESSAGES_PATH,
    logger: sdkLogger(options.log),
    activity: { mentions: { stripText: false } },
  });
  app.use(async (ctx) => {
    try {
      return await onActivity(ctx.activity, options, log);
    } catch (err) {
      log.error({ err }, 'handling a Teams activity failed');
      return { status: 200 };
    }
  });
  await app.initialize();
  const handler = adapter.handler();
  return {
    method: 'POST',
    path: TEAMS_MESSAGES_PATH,
    async handler(req, res) {
      if (auth.kind === 'anonymous' && !isLoopback(req.socket.remoteAddress ?? '')) {
        sendJson(res, 403, {
          error: 'forbidden',
          message: 'Anonymous Teams activities are taken from this machine only.',
        });
        return;
      }
      const issuerProblem = auth.kind === 'jwt' ? botFrameworkOnly(req) : null;
      if (issuerProblem) {
        log.warn({ problem: issuerProblem }, 'refused a Teams request that failed verification');
        sendJson(res, 401, { error: 'invalid_token', message: issuerProblem });
        return;
      }
      const raw = (await readBody(req, BODY_LIMIT)).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        sendJson(res, 400, {
          error: 'invalid_body',
          message: 'The body is not JSON: send a Bot Framework activity.',
        });
        return;
      }
      const answer = await handler({ body, headers: headersOf(req) });
      if (answer.status === 401)
        log.warn({ problem: answer.body }, 'refused a Teams request that failed verification');
      if (answer.body === undefined || answer.body === null) {
        res.writeHead(answer.status, { 'content-length': '0' });
        res.end();
      } else sendJson(res, answer.status, answer.body);
    },
  };
}

/**
 * `POST /api/messages` while Teams is not configured: mounted anyway, so that a bot pointed here
 * learns what to set instead of a 404.
 */
export function teamsMessagesUnconfigured(): Route {
  return {
    method: 'POST',
    path: TEAMS_MESSAGES_PATH,
    handler(_req, res) {
      sendNotConfigured(
        res,
        'Teams is not configured on this Slipway: set TEAMS_APP_ID, TEAMS_APP_PASSWORD (or TEAMS_APP_CERTIFICATE_FILE) and TEAMS_TENANT_ID from your Azure Bot; "slipway teams manifest" builds the app package to install.',
      );
    },
  };
}

async function onActivity(raw: unknown, options: TeamsTransportOptions, log: Logger) {
  const parsed = Activity.safeParse(raw);
  if (!parsed.success)
    return {
      status: 400,
      body: { error: 'invalid_activity', message: parsed.error.issues[0]?.message },
    };
  const activity = parsed.data;
  await remember(activity, options.references, log);
  const normalized = normalizeTeams(activity);
  switch (normalized.kind) {
    case 'ignore':
      log.debug({ why: normalized.why }, 'ignored a Teams activity');
      return { status: 200 };
    case 'refresh':
      return { status: 200, ...(await currentCard(normalized.ref, options)) };
    case 'event': {
      const { event } = normalized;
      if (!normalized.invoke) {
        // Nobody reads a message's HTTP answer: it goes out at once, the work after.
        options.admission.admit(event, {
          carries: 'nothing',
          deadlineMs: MESSAGE_DEADLINE_MS,
          ack: () => {},
          ...(options.appId ? { replayableForMs: REPLAY_WINDOW_MS } : {}),
        });
        return { status: 200 };
      }
      const reply = await waitForAnswer(event, options);
      if (reply) return { status: 200, body: await replyBody(reply, options) };
      // Taken, with nothing to say to the clicker alone: the card as it stands now, so they see
      // what their click did at once; where Slipway keeps no card for the message (an approver's
      // request), a message, since Teams wants an answer to every invoke.
      const ref =
        event.kind === 'command' || !event.messageTs
          ? null
          : { channel: event.channel, ts: event.messageTs };
      const card = await currentCard(ref, options);
      return { status: 200, body: card.body ?? messageResponse(CLICK_TAKEN) };
    }
  }
}

/**
 * Admits a click or a submission and waits for its answer: admission holds the acknowledgement
 * open until the handler has answered the person (a private answer, a form, a form's errors) or
 * is done, up to Teams' deadline (src/chat/inbound.ts, `answer`).
 */
function waitForAnswer(
  event: InboundEvent,
  options: TeamsTransportOptions,
): Promise<AckReply | null> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (reply: AckReply | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(reply);
    };
    // Admission always acknowledges; this only bounds a wait that would outlive Teams' patience.
    const timer = setTimeout(() => finish(null), INVOKE_DEADLINE_MS);
    options.admission.admit(event, {
      carries: 'answer',
      deadlineMs: INVOKE_DEADLINE_MS,
      ack: (reply) => finish(reply ?? null),
      ...(options.appId ? { replayableForMs: REPLAY_WINDOW_MS } : {}),
    });
  });
}

/** The card as it stands, for the person whose client asked; nothing when there is none. */
async function currentCard(
  ref: MessageRef | null,
  options: TeamsTransportOptions,
): Promise<{ body?: InvokeResponseBody }> {
  const view = ref && options.cardFor ? await options.cardFor(ref) : null;
  if (!view) return {};
  return { body: cardResponse(view, await namesIn(view, options.references)) };
}

async function replyBody(
  reply: AckReply,
  options: TeamsTransportOptions,
): Promise<InvokeResponseBody> {
  const view = reply.kind === 'answer' || reply.kind === 'form' ? reply.view : null;
  return invokeReply(reply, view ? await namesIn(view, options.references) : undefined);
}

/** Every activity says who is where; a store that cannot take it does not stop the activity. */
async function remember(
  activity: Activity,
  refs: ConversationReferences,
  log: Logger,
): Promise<void> {
  const { conversation, members } = referencesOf(activity);
  try {
    if (conversation) await refs.saveConversation(conversation);
    for (const member of members) await refs.saveMember(member);
  } catch (err) {
    log.warn({ err }, 'could not record Teams conversation references');
  }
}

/**
 * Slipway takes activities from the Bot Framework channel service only. The SDK would also take
 * an Entra ID token from any tenant's issuer (for Agent 365's agentic identities), fetching that
 * tenant's keys: Slipway has no such identities, so those are refused before anything is read.
 */
function botFrameworkOnly(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return 'Missing authorization header: Teams activities carry a Bot Framework token.';
  const token = header.replace(/^Bearer\s+/i, '');
  const payload = token.split('.')[1];
  let iss: unknown;
  try {
    iss = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')).iss;
  } catch {
    return 'The authorization header holds no JWT.';
  }
  return iss === PUBLIC.tokenIssuer ? null : 'The token was not issued by the Bot Framework.';
}

function headersOf(req: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined) headers[name] = value;
  return headers;
}

/** Slipway's router as the SDK's HTTP server: the SDK registers its messaging handler here. */
function routeAdapter(): IHttpServerAdapter & { handler(): HttpRouteHandler } {
  let registered: HttpRouteHandler | null = null;
  return {
    registerRoute(_method, path, handler) {
      if (path === TEAMS_MESSAGES_PATH) registered = handler;
    },
    handler() {
      if (!registered) throw new Error('the Teams SDK registered no messaging endpoint');
      return registered;
    },
  };
}

async function noOutboundToken(): Promise<string> {
  throw new Error('this Teams App only receives: the Teams client sends, with its own token');
}
