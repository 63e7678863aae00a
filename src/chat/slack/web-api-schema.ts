import { z } from 'zod';

/**
 * The parts of Slack's Web API answers Slipway reads, checked before use (STYLE.md: every
 * external payload goes through a schema). docs.slack.dev/reference/methods/*
 */
export const PostMessageResult = z.object({ channel: z.string().min(1), ts: z.string().min(1) });
export type PostMessageResult = z.infer<typeof PostMessageResult>;

/** One page of conversations.history, with each message's metadata when asked for. */
export const HistoryPage = z.object({
  messages: z
    .array(
      z.object({
        ts: z.string(),
        metadata: z
          .object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()) })
          .optional(),
      }),
    )
    .default([]),
  has_more: z.boolean().optional(),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});
export type HistoryPage = z.infer<typeof HistoryPage>;

export const ConversationsOpenResult = z.object({
  channel: z.object({ id: z.string().min(1) }),
});
export type ConversationsOpenResult = z.infer<typeof ConversationsOpenResult>;

/** users.info: the parts that name a person (docs.slack.dev/reference/methods/users.info). */
export const UsersInfoResult = z.object({
  user: z.object({
    name: z.string().optional(),
    real_name: z.string().optional(),
    profile: z
      .object({ display_name: z.string().optional(), real_name: z.string().optional() })
      .optional(),
  }),
});
export type UsersInfoResult = z.infer<typeof UsersInfoResult>;

export const PermalinkResult = z.object({ permalink: z.string() });

/** A response_url answers `ok` as text or `{"ok":true}`; a refusal is `{"ok":false,…}`. */
export const ResponseUrlResult = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), error: z.string().default('unknown_error') }),
]);
