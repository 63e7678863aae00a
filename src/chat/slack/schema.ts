import { z } from 'zod';

/**
 * The parts of Slack's payloads Slipway reads. Unknown fields pass through (Slack adds fields
 * over time); missing required ones make the payload invalid.
 * api.slack.com/interactivity/slash-commands, /reference/interaction-payloads/block_actions,
 * /reference/interaction-payloads/views, /apis/events-api (app_mention).
 */
export const SlashCommandBody = z.object({
  command: z.string().min(1),
  text: z.string().default(''),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  response_url: z.string().url().optional(),
  trigger_id: z.string().min(1),
  team_id: z.string().optional(),
});
export type SlashCommandBody = z.infer<typeof SlashCommandBody>;

export const BlockActionsPayload = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }).optional(),
  container: z
    .object({ channel_id: z.string().optional(), message_ts: z.string().optional() })
    .partial()
    .optional(),
  message: z.object({ ts: z.string() }).partial().optional(),
  response_url: z.string().url().optional(),
  trigger_id: z.string().optional(),
  actions: z
    .array(
      z.object({
        action_id: z.string().min(1),
        value: z.string().optional(),
        action_ts: z.string().optional(),
      }),
    )
    .min(1),
});
export type BlockActionsPayload = z.infer<typeof BlockActionsPayload>;

export const EventCallbackBody = z.object({
  type: z.literal('event_callback'),
  event_id: z.string().min(1),
  event: z.object({
    type: z.string(),
    user: z.string().optional(),
    bot_id: z.string().optional(),
    text: z.string().optional(),
    channel: z.string().optional(),
    ts: z.string().optional(),
    thread_ts: z.string().optional(),
  }),
});
export type EventCallbackBody = z.infer<typeof EventCallbackBody>;

/**
 * A modal submitted (docs.slack.dev/reference/interaction-payloads/view-interactions-payload):
 * `state.values` holds each input block's value, keyed by block_id then action_id.
 */
export const ViewSubmissionPayload = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().optional(),
  view: z.object({
    id: z.string().min(1),
    callback_id: z.string().min(1),
    private_metadata: z.string(),
    state: z.object({
      values: z.record(
        z.string(),
        z.record(z.string(), z.object({ value: z.string().nullish() }).passthrough()),
      ),
    }),
  }),
});
export type ViewSubmissionPayload = z.infer<typeof ViewSubmissionPayload>;

/** What Slipway keeps in a modal's private_metadata (modal-metadata.ts). */
export const ModalMetadata = z.object({
  value: z.string(),
  channel: z.string().min(1),
  ts: z.string().min(1),
});

export const UrlVerificationBody = z.object({
  type: z.literal('url_verification'),
  challenge: z.string(),
});
