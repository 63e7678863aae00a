/** Wall-clock time in epoch milliseconds; injectable so tests can expire response_urls. */
export type Clock = () => number;

/** A Block Kit block as received: validated by `blocks.ts`, stored as sent. */
export type Block = Record<string, unknown>;

export interface Channel {
  id: string;
  name: string;
  isIm: boolean;
  /** For a DM: the human on the other side of the bot. */
  user?: string | undefined;
  /** When set, `chat.postEphemeral` refuses users outside it (`user_not_in_channel`). */
  members?: Set<string> | undefined;
}

export interface User {
  id: string;
  name: string;
  realName: string;
  isAdmin: boolean;
  isBot: boolean;
}

/** One earlier version of a message, kept when it is updated. */
export interface MessageRevision {
  text: string;
  blocks?: Block[] | undefined;
  /** Epoch ms at which this version was replaced. */
  replacedAt: number;
}

export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface Message {
  channel: string;
  ts: string;
  threadTs?: string | undefined;
  text: string;
  blocks?: Block[] | undefined;
  /** Author: the bot user id for app messages, a user id for what `mention()` typed. */
  user: string;
  botId?: string | undefined;
  /** How it got here: the Web API, a response_url, or a simulated person. */
  source: 'api' | 'response_url' | 'user';
  /** What the app attached with chat.postMessage's `metadata` (docs.slack.dev/messaging/message-metadata). */
  metadata?: MessageMetadata | undefined;
  postedAt: number;
  /** Older versions, oldest first; empty if never updated. */
  history: MessageRevision[];
  deleted: boolean;
}

export interface Ephemeral {
  channel: string;
  user: string;
  ts: string;
  threadTs?: string | undefined;
  text: string;
  blocks?: Block[] | undefined;
  source: 'api' | 'response_url' | 'command_response';
  postedAt: number;
  deleted: boolean;
  history: MessageRevision[];
}

/** One Web API call as the double saw it, including rejected ones. */
export interface CallRecord {
  method: string;
  at: number;
  status: number;
  ok: boolean;
  error?: string | undefined;
  channel?: string | undefined;
  /** The message the call created or changed (`ts`, or `message_ts` for ephemerals). */
  ts?: string | undefined;
}

export type DeliveryMode = { mode: 'http'; requestUrl: string } | { mode: 'socket' };

/** What the app answered to one delivery (one HTTP request or one Socket Mode envelope). */
export interface Delivery {
  kind: 'slash_commands' | 'interactive' | 'events_api';
  mode: 'http' | 'socket';
  attempt: number;
  retryReason?: string | undefined;
  /** HTTP status of the app's answer (HTTP mode). */
  status?: number | undefined;
  /** Raw body of the app's answer (HTTP mode). */
  body?: string | undefined;
  /** The `payload` of the Socket Mode ack, `{}` for a bare ack. */
  ack?: Record<string, unknown> | undefined;
  /** Milliseconds from sending to the answer (or to giving up). */
  ms: number;
  /** Slack's 3-second rule: no answer in time. */
  timedOut: boolean;
  /** Transport failure: connection refused, no Socket Mode connection, ... */
  error?: string | undefined;
}
