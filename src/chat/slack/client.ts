import type { RespondArguments } from '@slack/bolt';
import {
  type ChatGetPermalinkArguments,
  type ChatPostEphemeralArguments,
  type ChatPostMessageArguments,
  type ChatUpdateArguments,
  type ConversationsHistoryArguments,
  type ConversationsOpenArguments,
  LogLevel,
  type RetryOptions,
  type Logger as SlackLogger,
  type UsersInfoArguments,
  type ViewsOpenArguments,
  WebClient,
} from '@slack/web-api';
import type { Logger } from 'pino';
import { type ZodType, z } from 'zod';
import { ConfigError, NotFoundError, SlipwayError, ValidationError } from '../../core/errors.js';
import type { ChatClient, ChatLimits, MessageRef, MessageView } from '../types.js';
import { renderBlocks, renderModal } from './blocks.js';
import { toChatError } from './errors.js';
import { HISTORY_PAGE_SIZE, messageMetadata, postByKey } from './keyed-post.js';
import { BLOCK_LIMITS } from './limits.js';
import { postToResponseUrl, type RespondOptions } from './respond.js';
import { type RateGate, rateGate, withRetries } from './retry.js';
import {
  ConversationsOpenResult,
  HistoryPage,
  PermalinkResult,
  PostMessageResult,
  UsersInfoResult,
} from './web-api-schema.js';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/** What a Slack message holds, for the core (see BLOCK_LIMITS for where each comes from). */
export const SLACK_CHAT_LIMITS: ChatLimits = {
  messageText: BLOCK_LIMITS.sectionText,
  buttonValue: BLOCK_LIMITS.buttonValue,
  // docs.slack.dev/reference/block-kit/blocks/actions-block: "a maximum of 25 elements"
  buttonsPerRow: BLOCK_LIMITS.actionsElements,
  // docs.slack.dev/reference/block-kit/blocks: 50 blocks a message; the title takes one, and
  // every other block could be a row of buttons.
  buttonsPerMessage: BLOCK_LIMITS.actionsElements * (BLOCK_LIMITS.blocks - 1),
  // docs.slack.dev/reference/methods/chat.postMessage: thread_ts, in every kind of conversation.
  threads: true,
  // docs.slack.dev/reference/methods/chat.postEphemeral: "visible only to the assigned user".
  ephemeral: true,
  // docs.slack.dev/surfaces/modals: views.open with a trigger_id from the click.
  forms: true,
};

/**
 * The Web API methods Slipway calls, each with @slack/web-api's own type of its arguments: an
 * argument Slack does not take, or one of the wrong shape, fails the type check.
 */
export interface SlackMethodArgs {
  'chat.postMessage': ChatPostMessageArguments;
  'chat.update': ChatUpdateArguments;
  'chat.postEphemeral': ChatPostEphemeralArguments;
  'chat.getPermalink': ChatGetPermalinkArguments;
  'conversations.history': ConversationsHistoryArguments;
  'conversations.open': ConversationsOpenArguments;
  'users.info': UsersInfoArguments;
  'views.open': ViewsOpenArguments;
}

/** Calls whose answer Slipway does not read beyond `ok` (checked by the Web API client). */
const ANYTHING = z.unknown();

/** One Web API call or response_url answer, for metrics. */
export interface SlackCall {
  method: string;
  ok: boolean;
  /** Time spent waiting out 429s (Retry-After) during this call. */
  retriedAfterMs: number;
  /** The coded error when not ok. */
  error?: string;
}

export interface SlackClientOptions {
  token: string;
  /** Base URL of the Web API (`SLACK_API_URL`), ending in `/`. */
  apiUrl?: string;
  /**
   * Retries for 5xx, network errors and timeouts (node-retry options). 429s are retried after
   * their Retry-After and count as attempts too (see withRetries).
   */
  retryConfig?: RetryOptions;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  respond?: RespondOptions;
  onCall?: (call: SlackCall) => void;
  log?: Logger;
  /**
   * Aborted when the process stops and the last chat updates have had their time: calls under
   * way and waiting to be retried fail at once (ShutdownError), and none is sent after.
   */
  signal?: AbortSignal;
}

// About a minute of retrying: long enough for a Slack blip, short enough to surface an outage.
const DEFAULT_RETRY: RetryOptions = {
  retries: 5,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 15_000,
  randomize: true,
};

/** The ChatClient port over Slack's Web API (@slack/web-api). */
export function createSlackClient(options: SlackClientOptions): ChatClient {
  const apiUrl = normalizeApiUrl(options.apiUrl ?? DEFAULT_SLACK_API_URL);
  const retry = options.retryConfig ?? DEFAULT_RETRY;
  const { signal } = options;
  // One try per call, rate limits refused: withRetries waits and tries again, where a stop can
  // cut the wait short.
  const web = new WebClient(options.token, {
    slackApiUrl: apiUrl,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: options.timeoutMs ?? 10_000,
    logger: slackLogger(options.log),
    logLevel: LogLevel.DEBUG,
    ...(signal ? { fetch: abortedBy(signal) } : {}),
  });
  // For keyed posts: after a timeout the message may exist, so they are retried by
  // postByKey, which looks before posting again, never blindly here.
  const once: RetryOptions = { retries: 0 };
  const gates = new Map<string, RateGate>();
  /** Slack limits each method per workspace, and chat.postMessage per channel as well. */
  const gateOf = (method: string, args: object): RateGate => {
    const channel = method === 'chat.postMessage' ? (args as { channel?: string }).channel : '';
    const key = `${method} ${channel ?? ''}`;
    const known = gates.get(key);
    if (known) return known;
    const gate = rateGate();
    gates.set(key, gate);
    return gate;
  };
  const directs = new Map<string, string>();

  async function call<M extends keyof SlackMethodArgs, T>(
    method: M,
    args: SlackMethodArgs[M],
    schema: ZodType<T>,
    retries: RetryOptions = retry,
  ): Promise<T> {
    const waited = { ms: 0 };
    try {
      // apiCall takes any record; the arguments were checked against the method's type above.
      const result = await withRetries(method, () => web.apiCall(method, { ...args }), {
        retry: retries,
        signal,
        waited,
        gate: gateOf(method, args),
      });
      const parsed = schema.safeParse(result);
      if (!parsed.success) {
        throw new ValidationError(
          `Slack answered ${method} with an unexpected payload: ${parsed.error.message}`,
        );
      }
      options.onCall?.({ method, ok: true, retriedAfterMs: waited.ms });
      return parsed.data;
    } catch (err) {
      const error = toChatError(method, err);
      options.onCall?.({ method, ok: false, retriedAfterMs: waited.ms, error: error.code });
      throw error;
    }
  }

  return {
    limits: SLACK_CHAT_LIMITS,
    async post(channel, view, postOptions = {}) {
      const { threadTs, key, mayExistSince } = postOptions;
      const args = {
        channel,
        ...renderBlocks(view),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(key ? { metadata: messageMetadata(key) } : {}),
        unfurl_links: false,
        unfurl_media: false,
      } satisfies ChatPostMessageArguments;
      const postVia = async (retries: RetryOptions): Promise<MessageRef> => {
        const result = await call('chat.postMessage', args, PostMessageResult, retries);
        return { channel: result.channel, ts: result.ts };
      };
      // Thread replies are not looked up (that is conversations.replies): retried as before.
      if (!key || threadTs) return postVia(retry);
      return postByKey(
        {
          postOnce: () => postVia(once),
          history: (page) =>
            call(
              'conversations.history',
              {
                channel,
                include_all_metadata: true,
                inclusive: true,
                limit: HISTORY_PAGE_SIZE,
                ...page,
              },
              HistoryPage,
            ),
          retry,
          ...(options.log ? { log: options.log.child({ component: 'slack-post' }) } : {}),
        },
        channel,
        key,
        mayExistSince,
      );
    },
    async update(ref, view) {
      await call(
        'chat.update',
        { channel: ref.channel, ts: ref.ts, ...renderBlocks(view) },
        ANYTHING,
      );
    },
    async postEphemeral(channel, user, view) {
      await call('chat.postEphemeral', { channel, user, ...renderBlocks(view) }, ANYTHING);
    },
    async respond(responseUrl, view, respondOptions) {
      checkResponseUrl(responseUrl, apiUrl);
      const body = responseBody(view, respondOptions);
      try {
        const { retriedAfterMs } = await postToResponseUrl(responseUrl, body, options.respond);
        options.onCall?.({ method: 'response_url', ok: true, retriedAfterMs });
      } catch (err) {
        const error = err instanceof SlipwayError ? err : toChatError('response_url', err);
        options.onCall?.({
          method: 'response_url',
          ok: false,
          retriedAfterMs: 0,
          error: error.code,
        });
        throw error;
      }
    },
    async openModal(triggerId, view) {
      // A trigger_id opens one view, within 3 s of the click (docs.slack.dev/reference/methods/views.open):
      // retried later it would only be expired, so the call is made once.
      await call('views.open', { trigger_id: triggerId, view: renderModal(view) }, ANYTHING, once);
    },
    async openDirect(user) {
      // A user's direct-message channel never changes: ask Slack once per process.
      const known = directs.get(user);
      if (known) return known;
      const result = await call('conversations.open', { users: user }, ConversationsOpenResult);
      directs.set(user, result.channel.id);
      return result.channel.id;
    },
    async permalink(ref) {
      try {
        const args = { channel: ref.channel, message_ts: ref.ts };
        return (await call('chat.getPermalink', args, PermalinkResult)).permalink;
      } catch (err) {
        // The message or its channel is gone: a card without a link, not a broken page.
        if (err instanceof NotFoundError) return null;
        throw err;
      }
    },
    async userName(user) {
      try {
        return personName(await call('users.info', { user }, UsersInfoResult));
      } catch (err) {
        if (err instanceof NotFoundError && err.details?.slackError === 'user_not_found')
          return null;
        throw err;
      }
    },
  } satisfies ChatClient;
}

/**
 * The name Slack shows for a person: the display name they chose, else their full name, else
 * the username (docs.slack.dev/reference/objects/user-object: display_name may be empty).
 */
function personName({ user }: UsersInfoResult): string | null {
  const candidates = [
    user.profile?.display_name,
    user.profile?.real_name,
    user.real_name,
    user.name,
  ];
  return candidates.map((name) => name?.trim()).find((name) => name) ?? null;
}

/** A response_url answer, or a slash command's answer in its acknowledgement. */
export function responseBody(
  view: MessageView,
  options: { ephemeral: boolean; replaceOriginal?: boolean },
): RespondArguments {
  return {
    ...renderBlocks(view),
    response_type: options.ephemeral ? 'ephemeral' : 'in_channel',
    replace_original: options.replaceOriginal ?? false,
  };
}

/**
 * The client from the environment (ARCHITECTURE.md, "The external contract"): `SLACK_BOT_TOKEN`,
 * and `SLACK_API_URL` to talk to another Slack (the local one in tests and `slipway dev`).
 */
export function slackClientFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<SlackClientOptions, 'token' | 'apiUrl'> = {},
): ChatClient {
  const token = env.SLACK_BOT_TOKEN?.trim();
  if (!token) {
    throw new ConfigError(
      "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page",
    );
  }
  return createSlackClient({
    ...options,
    token,
    apiUrl: env.SLACK_API_URL || DEFAULT_SLACK_API_URL,
  });
}

export function normalizeApiUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      `SLACK_API_URL "${url}" is not a URL: write it like https://slack.com/api/`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(
      `SLACK_API_URL "${url}" must start with https:// (or http:// for a local Slack)`,
    );
  }
  // The Web API client appends the method name to this URL as it is.
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

/**
 * Answers go only to Slack: against the real Slack, a response_url must be an https URL of
 * slack.com. Against another Web API (a local Slack), any http(s) URL is accepted.
 */
function checkResponseUrl(responseUrl: string, apiUrl: string): void {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    throw new ValidationError(`response_url "${responseUrl}" is not a URL`);
  }
  const realSlack = apiUrl === DEFAULT_SLACK_API_URL;
  const ok = realSlack
    ? url.protocol === 'https:' &&
      (url.hostname === 'slack.com' || url.hostname.endsWith('.slack.com'))
    : url.protocol === 'https:' || url.protocol === 'http:';
  if (!ok)
    throw new ValidationError(`response_url "${responseUrl}" is not a Slack URL; nothing was sent`);
}

/**
 * fetch, aborted when the process stops: nothing is sent after, and nothing waits on an answer.
 * A listener per request, removed once it is answered: AbortSignal.any on the process-long
 * signal kept a WeakRef per request (a soak's heap grew 1 MiB a minute with them).
 */
function abortedBy(stop: AbortSignal): typeof fetch {
  return async (input, init) => {
    const controller = new AbortController();
    const abort = (signal: AbortSignal) => () => controller.abort(signal.reason);
    const signals = [stop, ...(init?.signal ? [init.signal] : [])];
    const listeners = signals.map((signal) => {
      const listener = abort(signal);
      if (signal.aborted) listener();
      else signal.addEventListener('abort', listener, { once: true });
      return listener;
    });
    try {
      return await fetch(input, { ...init, signal: controller.signal });
    } finally {
      signals.forEach((signal, i) => {
        signal.removeEventListener('abort', listeners[i] as () => void);
      });
    }
  };
}

/** The Web API client's own log lines, through pino at debug (warnings at warn). */
function slackLogger(log: Logger | undefined): SlackLogger {
  const child = log?.child({ component: 'slack-web-api' });
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]) =>
      child?.[level === 'info' ? 'debug' : level](
        { detail: msg.map(String).join(' ') },
        'slack web api',
      );
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: () => {},
    getLevel: () => LogLevel.DEBUG,
    setName: () => {},
  };
}
