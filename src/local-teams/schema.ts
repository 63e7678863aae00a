import { z } from 'zod';

/** Zod schemas for what enters the double: its options and the bodies clients send it. */

const Key = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a key is lowercase letters, digits, ".", "_" or "-"');

export const UserInput = z.object({
  key: Key,
  name: z.string().min(1).optional(),
  /** Entra object id (a GUID); derived from the key when omitted. */
  aadObjectId: z.string().min(1).optional(),
  /** Bot Framework user id (`29:…`); derived from the key when omitted. */
  id: z.string().startsWith('29:').optional(),
  email: z.string().optional(),
  /** Whether the app is installed for this person, so the bot may open a 1:1 chat. */
  installed: z.boolean().default(true),
});
export type UserInput = z.infer<typeof UserInput>;

export const ChannelInput = z.object({
  key: Key,
  name: z.string().min(1),
  id: z.string().startsWith('19:').optional(),
});

export const TeamInput = z.object({
  key: Key,
  name: z.string().min(1),
  /** The team's id, which is also its General channel's id, as in Teams. */
  id: z.string().startsWith('19:').optional(),
  /** Channels besides General, which every team has. */
  channels: z.array(ChannelInput).default([]),
  /** User keys; every configured user when omitted. */
  members: z.array(z.string()).optional(),
  botInstalled: z.boolean().default(true),
});
export type TeamInput = z.infer<typeof TeamInput>;

export const GroupChatInput = z.object({
  key: Key,
  topic: z.string().optional(),
  id: z.string().startsWith('19:').optional(),
  members: z.array(z.string()).min(2),
  botInstalled: z.boolean().default(true),
});

export const RateWindow = z.object({
  seconds: z.number().positive(),
  max: z.number().int().positive(),
});
export type RateWindow = z.infer<typeof RateWindow>;

export const RateScenario = z.enum([
  'sendToConversation',
  'createConversation',
  'getMembers',
  'getConversations',
]);
export type RateScenario = z.infer<typeof RateScenario>;

export const LocalTeamsConfig = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(0),
  /** The bot's Microsoft App ID: the audience of the tokens it receives, its client id. */
  appId: z.string().min(1),
  /** The client secret the token endpoint accepts for `appId`. */
  appPassword: z.string().min(1).default('local-teams-secret'),
  /**
   * A certificate registered for the app, so the token endpoint accepts a client assertion
   * signed with its key: an X.509 PEM, or a public key PEM with the certificate's SHA-256
   * thumbprint (hex).
   */
  appCertificate: z
    .object({
      certificate: z.string().optional(),
      publicKey: z.string().optional(),
      thumbprintSha256: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/)
        .optional(),
    })
    .refine((c) => c.certificate !== undefined || (c.publicKey && c.thumbprintSha256), {
      message: 'give certificate, or publicKey with thumbprintSha256',
    })
    .optional(),
  tenantId: z.string().min(1).default('6babcaad-604b-40ac-a9d7-9fd97c0b779f'),
  botName: z.string().min(1).default('Slipway'),
  /** The bot's messaging endpoint, e.g. `http://127.0.0.1:3000/api/messages`. */
  botEndpoint: z.url().optional(),
  users: z.array(UserInput).default([
    { key: 'alice', name: 'Alice Archer', installed: true },
    { key: 'bob', name: 'Bob Baker', installed: true },
    { key: 'carol', name: 'Carol Chen', installed: true },
  ]),
  teams: z.array(TeamInput).default([
    {
      key: 'platform',
      name: 'Platform',
      channels: [{ key: 'deploys', name: 'deploys' }],
      botInstalled: true,
    },
  ]),
  groupChats: z.array(GroupChatInput).default([]),
  /**
   * Largest message (text, attachments, entities) as UTF-16, in bytes. Teams refuses over
   * about 100 KB and promises delivery under 80 KB
   * (learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages,
   * 2025-03-11): the double refuses past the figure Teams guarantees.
   */
  maxMessageBytes: z
    .number()
    .int()
    .positive()
    .default(80 * 1024),
  /** Per-thread windows by scenario; `false` turns rate limiting off. */
  rateLimits: z
    .union([z.literal(false), z.partialRecord(RateScenario, z.array(RateWindow))])
    .default({}),
  /** How long a delivery to the bot may take before the double gives up on it. */
  deliveryTimeoutMs: z.number().int().positive().default(15_000),
});
export type LocalTeamsConfig = z.infer<typeof LocalTeamsConfig>;

/** POST /v3/conversations (Bot Framework REST API reference, ConversationParameters). */
export const CreateConversationParams = z.looseObject({
  isGroup: z.boolean().optional(),
  bot: z.looseObject({ id: z.string().optional() }).optional(),
  members: z.array(z.looseObject({ id: z.string() })).optional(),
  topicName: z.string().optional(),
  tenantId: z.string().optional(),
  activity: z.unknown().optional(),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: z.string().optional() }).optional(),
      channel: z.looseObject({ id: z.string().optional() }).optional(),
    })
    .optional(),
});

/** An activity as a bot sends it; its content is checked by validate.ts. */
export const OutboundActivity = z.looseObject({
  type: z.string().optional(),
  id: z.string().optional(),
  text: z.string().optional(),
  textFormat: z.string().optional(),
  summary: z.string().optional(),
  replyToId: z.string().optional(),
  attachments: z
    .array(z.looseObject({ contentType: z.string().min(1), content: z.unknown().optional() }))
    .optional(),
  entities: z.array(z.unknown()).optional(),
});
export type OutboundActivity = z.infer<typeof OutboundActivity>;

/** The client credentials grant (Microsoft identity platform, v2.0 token endpoint). */
export const TokenRequest = z.object({
  grant_type: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  client_assertion_type: z.string().optional(),
  client_assertion: z.string().optional(),
  scope: z.string().optional(),
});
