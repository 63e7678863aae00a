import { z } from 'zod';

/**
 * Zod schemas for what enters the double: its options, Web API arguments, response_url
 * bodies, Socket Mode acks and the dev page's requests.
 */

/** Slack sends booleans in forms as "true"/"1"; JSON bodies carry real booleans. */
const FormBool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');

export const RateRule = z.object({
  perMinute: z.number().positive(),
  burst: z.number().int().positive(),
  /** `channel`: one bucket per (method, channel), as Slack does for chat.postMessage. */
  per: z.enum(['method', 'channel']).default('method'),
});
export type RateRule = z.infer<typeof RateRule>;

export const LocalSlackConfig = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(0),
  teamId: z.string().regex(/^T/).default('T0LOCAL'),
  teamDomain: z.string().default('slipway-local'),
  appId: z.string().regex(/^A/).default('A0LOCAL'),
  botUserId: z.string().regex(/^U/).default('U0SLIPWAY'),
  botId: z.string().regex(/^B/).default('B0SLIPWAY'),
  botName: z.string().default('slipway'),
  botToken: z.string().startsWith('xoxb-').default('xoxb-local-bot-token'),
  appToken: z.string().startsWith('xapp-').default('xapp-1-local-app-token'),
  signingSecret: z.string().min(1).default('local-signing-secret'),
  /** The deprecated `token` field Slack still puts in payloads. */
  verificationToken: z.string().default('local-verification-token'),
  /** Bot scopes granted; when set, methods needing another scope answer `missing_scope`. */
  scopes: z.array(z.string()).optional(),
  channels: z
    .array(
      z.object({
        id: z.string().regex(/^[CG]/, 'channel ids start with C (or G for private)'),
        name: z.string().min(1),
        members: z.array(z.string()).optional(),
      }),
    )
    .default([]),
  users: z
    .array(
      z.object({
        id: z.string().regex(/^[UW]/, 'user ids start with U or W'),
        name: z.string().min(1),
        realName: z.string().optional(),
        isAdmin: z.boolean().optional(),
      }),
    )
    .default([]),
  delivery: z
    .discriminatedUnion('mode', [
      z.object({ mode: z.literal('http'), requestUrl: z.string().url() }),
      z.object({ mode: z.literal('socket') }),
    ])
    .optional(),
  /** Overrides of the default tiers, by method name. */
  rateLimits: z.record(z.string(), RateRule).default({}),
  /** Slack waits 3 s for an answer (api.slack.com/interactivity/slash-commands). */
  ackTimeoutMs: z.number().int().positive().default(3_000),
  /** A trigger_id opens one modal, within 3 s of what caused it (docs.slack.dev/surfaces/modals). */
  triggerTtlMs: z.number().int().positive().default(3_000),
  /** Events API retries: nearly immediately, after 1 min, after 5 min (docs.slack.dev/apis/events-api). */
  eventRetryDelaysMs: z.array(z.number().int().min(0)).max(3).default([0, 60_000, 300_000]),
  /** A response_url works 5 times within 30 minutes (api.slack.com/interactivity/handling). */
  responseUrlTtlMs: z
    .number()
    .int()
    .positive()
    .default(30 * 60_000),
  responseUrlMaxUses: z.number().int().positive().default(5),
  /** Slack pings Socket Mode clients; SocketModeClient drops a link with no ping in 30 s. */
  socketPingIntervalMs: z.number().int().positive().default(10_000),
});
export type LocalSlackConfig = z.infer<typeof LocalSlackConfig>;

// Web API arguments. A missing channel/ts/user is not a schema error: Slack answers
// channel_not_found / message_not_found / user_not_found for those, so they default to ''.
// Wrong types (an object where text belongs) are `invalid_arguments`.

export const PostMessageArgs = z.object({
  channel: z.string().default(''),
  text: z.string().optional(),
  blocks: z.unknown().optional(),
  thread_ts: z.string().optional(),
  reply_broadcast: FormBool.optional(),
  /** JSON, or a JSON string in a form body (checked by methods.ts). */
  metadata: z.unknown().optional(),
});
export type PostMessageArgs = z.infer<typeof PostMessageArgs>;

/** docs.slack.dev/reference/methods/conversations.history */
export const ConversationsHistoryArgs = z.object({
  channel: z.string().default(''),
  cursor: z.string().optional(),
  include_all_metadata: FormBool.optional(),
  inclusive: FormBool.optional(),
  latest: z.string().optional(),
  oldest: z.string().optional(),
  limit: z.coerce.number().int().optional(),
});

export const UpdateArgs = z.object({
  channel: z.string().default(''),
  ts: z.string().default(''),
  text: z.string().optional(),
  blocks: z.unknown().optional(),
});

export const PostEphemeralArgs = z.object({
  channel: z.string().default(''),
  user: z.string().default(''),
  text: z.string().optional(),
  blocks: z.unknown().optional(),
  thread_ts: z.string().optional(),
});

export const ConversationsOpenArgs = z.object({
  users: z.string().optional(),
  channel: z.string().optional(),
  return_im: FormBool.optional(),
  prevent_creation: FormBool.optional(),
});

/** docs.slack.dev/reference/methods/views.open; `view` is checked by views.ts. */
export const ViewsOpenArgs = z.object({
  trigger_id: z.string().optional(),
  view: z.unknown(),
});

export const UsersInfoArgs = z.object({ user: z.string().default('') });

export const PermalinkArgs = z.object({
  channel: z.string().default(''),
  message_ts: z.string().default(''),
});

/** What an app may POST to a response_url, or answer a slash command with. */
export const MessageResponse = z.object({
  text: z.string().optional(),
  blocks: z.unknown().optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  replace_original: FormBool.optional(),
  delete_original: FormBool.optional(),
  thread_ts: z.string().optional(),
});
export type MessageResponse = z.infer<typeof MessageResponse>;

/** An ack over Socket Mode: `{ envelope_id, payload? }` (docs.slack.dev/apis/events-api/using-socket-mode). */
export const SocketAck = z.object({
  envelope_id: z.string().min(1),
  payload: z.record(z.string(), z.unknown()).optional(),
});

export const PageCommand = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  text: z.string().min(1),
});

/** What a person typed in a modal, by block_id, and whether they submit or cancel it. */
export const PageView = z.object({
  user: z.string().min(1),
  viewId: z.string().min(1),
  values: z.record(z.string(), z.string()).default({}),
});

/** An app's answer to a view_submission (docs.slack.dev/surfaces/modals#interactions). */
export const ViewSubmissionAnswer = z.object({
  response_action: z.enum(['errors', 'update', 'push', 'clear']).optional(),
  errors: z.record(z.string(), z.string()).optional(),
  view: z.record(z.string(), z.unknown()).optional(),
});

export const PageClick = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  ts: z.string().min(1),
  actionId: z.string().min(1),
  blockId: z.string().optional(),
});
