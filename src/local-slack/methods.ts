import type { z } from 'zod';
import { checkContent, parseBlocksArg } from './blocks.js';
import {
  ConversationsHistoryArgs,
  ConversationsOpenArgs,
  type LocalSlackConfig,
  PermalinkArgs,
  PostEphemeralArgs,
  PostMessageArgs,
  UpdateArgs,
  UsersInfoArgs,
  ViewsOpenArgs,
} from './schema.js';
import type { State } from './state.js';
import type { Block, Clock, Message, MessageMetadata } from './types.js';
import type { Views } from './views.js';

export type Body = Record<string, unknown> & { ok: boolean };

export interface MethodContext {
  cfg: LocalSlackConfig;
  state: State;
  /** Triggers and open modals. */
  views: Views;
  clock: Clock;
  baseUrl: () => string;
  /** Issues a one-use Socket Mode URL. */
  socketUrl: () => string;
}

export interface MethodSpec {
  token: 'bot' | 'app';
  /** Any one of these bot scopes lets the call through (checked only when scopes are configured). */
  scopes: string[];
  run(args: Record<string, unknown>, ctx: MethodContext): Body;
}

const fail = (error: string, extra: Record<string, unknown> = {}): Body => ({
  ok: false,
  error,
  ...extra,
});

/** Parses arguments; a wrong type is `invalid_arguments` with Slack-like messages. */
function parse<T extends z.ZodType>(schema: T, args: Record<string, unknown>): z.infer<T> | Body {
  const r = schema.safeParse(args);
  if (r.success) return r.data;
  const messages = r.error.issues.map(
    (i) => `[ERROR] ${i.message} [json-pointer:/${i.path.join('/')}]`,
  );
  return fail('invalid_arguments', { response_metadata: { messages } });
}

const isFailure = (v: unknown): v is Body =>
  typeof v === 'object' && v !== null && (v as Body).ok === false;

/** Reads `blocks` and checks text+blocks as chat.postMessage does. */
function content(text: string | undefined, raw: unknown): { blocks: Block[] | undefined } | Body {
  const parsed = parseBlocksArg(raw);
  if (!parsed.ok) return fail(parsed.error);
  const problem = checkContent(text, parsed.blocks);
  return problem ? fail(problem.error, { ...problem }) : { blocks: parsed.blocks };
}

/**
 * chat.postMessage's `metadata`: an object with an `event_type` string and an `event_payload`
 * object (docs.slack.dev/messaging/message-metadata), sent as JSON or, in a form body, as a
 * JSON string.
 */
function parseMetadata(raw: unknown): { metadata: MessageMetadata | undefined } | Body {
  if (raw === undefined || raw === null || raw === '') return { metadata: undefined };
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return fail('invalid_metadata_format');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('invalid_metadata_format');
  }
  const { event_type, event_payload } = value as Record<string, unknown>;
  const payloadIsObject =
    typeof event_payload === 'object' && event_payload !== null && !Array.isArray(event_payload);
  if (typeof event_type !== 'string' || event_type === '' || !payloadIsObject) {
    return fail('invalid_metadata_schema');
  }
  return { metadata: { event_type, event_payload: event_payload as Record<string, unknown> } };
}

/**
 * A ts ("1733443200.123456", or a bare "1733443200") in microseconds: exact, where a float
 * would round the last digits of a ts away. Unreadable input counts as 0.
 */
function micros(ts: string): bigint {
  const m = /^(\d+)(?:\.(\d{0,6}))?/.exec(ts.trim());
  if (!m) return 0n;
  return BigInt(m[1] ?? '0') * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** Slack's pagination cursors are opaque; the double's is the ts to continue before. */
const cursorFor = (ts: string) => Buffer.from(`next_ts:${ts}`).toString('base64');
function tsOfCursor(cursor: string): string | null {
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  return /^next_ts:\d+\.\d+$/.test(text) ? text.slice('next_ts:'.length) : null;
}

/** A message as Slack returns it from chat.postMessage / chat.update. */
export function wireMessage(
  m: Message,
  cfg: LocalSlackConfig,
  withMetadata = false,
): Record<string, unknown> {
  return {
    type: 'message',
    text: m.text,
    user: m.user,
    ...(m.botId
      ? {
          bot_id: m.botId,
          app_id: cfg.appId,
          bot_profile: { id: m.botId, app_id: cfg.appId, name: cfg.botName, team_id: cfg.teamId },
        }
      : {}),
    team: cfg.teamId,
    ts: m.ts,
    ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.history.length > 0 ? { edited: { user: m.user, ts: m.ts } } : {}),
    ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
  };
}

export const METHODS: Record<string, MethodSpec> = {
  'auth.test': {
    token: 'bot',
    scopes: [],
    run: (_args, { cfg, baseUrl }) => ({
      ok: true,
      url: `${baseUrl()}/`,
      team: cfg.teamDomain,
      user: cfg.botName,
      team_id: cfg.teamId,
      user_id: cfg.botUserId,
      bot_id: cfg.botId,
      is_enterprise_install: false,
    }),
  },

  'chat.postMessage': {
    token: 'bot',
    scopes: ['chat:write'],
    run(args, { cfg, state }) {
      const a = parse(PostMessageArgs, args);
      if (isFailure(a)) return a;
      const channel = state.resolveChannel(a.channel);
      if (!channel) return fail('channel_not_found');
      const c = content(a.text, a.blocks);
      if (isFailure(c)) return c;
      const meta = parseMetadata(a.metadata);
      if (isFailure(meta)) return meta;
      const m = state.post({
        channel: channel.id,
        text: a.text ?? '',
        blocks: c.blocks,
        threadTs: a.thread_ts,
        user: cfg.botUserId,
        botId: cfg.botId,
        source: 'api',
        metadata: meta.metadata,
      });
      return { ok: true, channel: channel.id, ts: m.ts, message: wireMessage(m, cfg) };
    },
  },

  'chat.update': {
    token: 'bot',
    scopes: ['chat:write'],
    run(args, { cfg, state }) {
      const a = parse(UpdateArgs, args);
      if (isFailure(a)) return a;
      const channel = state.resolveChannel(a.channel);
      if (!channel) return fail('channel_not_found');
      const m = state.find(channel.id, a.ts);
      if (!m) return fail('message_not_found');
      if (m.user !== cfg.botUserId) return fail('cant_update_message');
      const c = content(a.text, a.blocks);
      if (isFailure(c)) return c;
      // "If you don't include blocks, the message's previous blocks will only be retained if
      // the text argument is not provided" (chat.update reference).
      const blocks = c.blocks ?? (a.text === undefined ? m.blocks : undefined);
      state.replace(m, { text: a.text ?? m.text, blocks });
      return {
        ok: true,
        channel: channel.id,
        ts: m.ts,
        text: m.text,
        message: wireMessage(m, cfg),
      };
    },
  },

  'chat.postEphemeral': {
    token: 'bot',
    scopes: ['chat:write'],
    run(args, { state }) {
      const a = parse(PostEphemeralArgs, args);
      if (isFailure(a)) return a;
      const channel = state.resolveChannel(a.channel);
      if (!channel) return fail('channel_not_found');
      const user = state.users.get(a.user);
      if (!user || user.isBot) return fail('user_not_found');
      const outside = channel.isIm
        ? channel.user !== user.id
        : channel.members?.has(user.id) === false;
      if (outside) return fail('user_not_in_channel');
      const c = content(a.text, a.blocks);
      if (isFailure(c)) return c;
      const e = state.addEphemeral({
        channel: channel.id,
        user: user.id,
        text: a.text ?? '',
        blocks: c.blocks,
        threadTs: a.thread_ts,
        source: 'api',
      });
      return { ok: true, message_ts: e.ts };
    },
  },

  'conversations.open': {
    token: 'bot',
    scopes: ['im:write', 'mpim:write', 'channels:manage', 'groups:write'],
    run(args, { state, clock }) {
      const a = parse(ConversationsOpenArgs, args);
      if (isFailure(a)) return a;
      if (a.channel) {
        const c = state.resolveChannel(a.channel);
        if (!c) return fail('channel_not_found');
        return c.isIm
          ? { ok: true, channel: { id: c.id } }
          : fail('method_not_supported_for_channel_type');
      }
      const ids = (a.users ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (ids.length === 0) return fail('users_list_not_supplied');
      if (ids.length > 1) {
        return fail('invalid_arguments', {
          response_metadata: { messages: ['[ERROR] local-slack opens 1:1 DMs only'] },
        });
      }
      const user = state.users.get(ids[0] ?? '');
      if (!user || user.isBot) return fail('user_not_found');
      const { channel, created } = state.openDm(user.id);
      const im = a.return_im
        ? { id: channel.id, is_im: true, user: user.id, created: Math.floor(clock() / 1000) }
        : { id: channel.id };
      return { ok: true, ...(created ? {} : { no_op: true, already_open: true }), channel: im };
    },
  },

  // Newest first, top-level messages only (replies are read with conversations.replies);
  // metadata only with include_all_metadata (docs.slack.dev/reference/methods/conversations.history).
  'conversations.history': {
    token: 'bot',
    scopes: ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
    run(args, { cfg, state }) {
      const a = parse(ConversationsHistoryArgs, args);
      if (isFailure(a)) return a;
      const channel = state.resolveChannel(a.channel);
      if (!channel) return fail('channel_not_found');
      const before = a.cursor === undefined ? undefined : tsOfCursor(a.cursor);
      if (before === null) return fail('invalid_cursor');
      // `inclusive` applies to oldest and latest; a cursor continues strictly before its ts.
      const oldest = micros(a.oldest ?? '0');
      const latest = before ?? a.latest;
      const upper = latest === undefined ? null : micros(latest);
      const upperIncluded = a.inclusive === true && before === undefined;
      const inside = (ts: bigint) =>
        (a.inclusive ? ts >= oldest : ts > oldest) &&
        (upper === null || (upperIncluded ? ts <= upper : ts < upper));
      const limit = Math.min(Math.max(a.limit ?? 100, 1), 999);
      const matching = state
        .history(channel.id)
        .filter((m) => inside(micros(m.ts)))
        .reverse();
      const page = matching.slice(0, limit);
      const last = page.at(-1);
      const hasMore = matching.length > page.length && last !== undefined;
      return {
        ok: true,
        messages: page.map((m) => wireMessage(m, cfg, a.include_all_metadata === true)),
        has_more: hasMore,
        pin_count: 0,
        ...(hasMore ? { response_metadata: { next_cursor: cursorFor(last.ts) } } : {}),
      };
    },
  },

  'users.info': {
    token: 'bot',
    scopes: ['users:read'],
    run(args, { cfg, state }) {
      const a = parse(UsersInfoArgs, args);
      if (isFailure(a)) return a;
      const u = state.users.get(a.user);
      if (!u) return fail('user_not_found');
      return {
        ok: true,
        user: {
          id: u.id,
          team_id: cfg.teamId,
          name: u.name,
          deleted: false,
          real_name: u.realName,
          tz: 'Etc/UTC',
          tz_offset: 0,
          is_admin: u.isAdmin,
          is_owner: false,
          is_bot: u.isBot,
          is_app_user: false,
          profile: {
            real_name: u.realName,
            display_name: u.name,
            ...(u.isBot ? { bot_id: cfg.botId } : {}),
          },
        },
      };
    },
  },

  'chat.getPermalink': {
    token: 'bot',
    scopes: [],
    run(args, { state, baseUrl }) {
      const a = parse(PermalinkArgs, args);
      if (isFailure(a)) return a;
      const channel = state.resolveChannel(a.channel);
      if (!channel) return fail('channel_not_found');
      const m = state.find(channel.id, a.message_ts);
      if (!m) return fail('message_not_found');
      const reply = m.threadTs && m.threadTs !== m.ts;
      const query = reply ? `?thread_ts=${m.threadTs}&cid=${channel.id}` : '';
      const permalink = `${baseUrl()}/archives/${channel.id}/p${m.ts.replace('.', '')}${query}`;
      return { ok: true, channel: channel.id, permalink };
    },
  },

  // A modal for whoever caused the trigger; no scope needed (docs.slack.dev/reference/methods/views.open).
  'views.open': {
    token: 'bot',
    scopes: [],
    run(args, { views }) {
      const a = parse(ViewsOpenArgs, args);
      if (isFailure(a)) return a;
      const r = views.open(a);
      if (!r.ok) {
        const extra = r.messages ? { response_metadata: { messages: r.messages } } : {};
        return fail(r.error, extra);
      }
      return { ok: true, view: views.wire(r.view) };
    },
  },

  'apps.connections.open': {
    token: 'app',
    scopes: [],
    run: (_args, { socketUrl }) => ({ ok: true, url: socketUrl() }),
  },
};
