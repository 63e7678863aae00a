import type { LocalSlackConfig } from './schema.js';
import type { Block, Channel, Clock, Ephemeral, Message, User } from './types.js';

export interface PostInput {
  channel: string;
  text: string;
  blocks?: Block[] | undefined;
  threadTs?: string | undefined;
  user: string;
  botId?: string | undefined;
  source: Message['source'];
  metadata?: Message['metadata'];
}

export interface EphemeralInput {
  channel: string;
  user: string;
  text: string;
  blocks?: Block[] | undefined;
  threadTs?: string | undefined;
  source: Ephemeral['source'];
}

export type State = ReturnType<typeof createState>;

/**
 * The workspace as tests see it: channels, users, DMs, every message with its update
 * history, and ephemerals per (channel, user). Only the Web API, response_urls and the
 * simulated people write here, and only once a call has succeeded.
 */
export function createState(cfg: LocalSlackConfig, clock: Clock) {
  const channels = new Map<string, Channel>();
  const users = new Map<string, User>();
  const messages = new Map<string, Message[]>();
  const ephemerals: Ephemeral[] = [];
  let lastMicros = 0;

  for (const c of cfg.channels) {
    channels.set(c.id, {
      id: c.id,
      name: c.name,
      isIm: false,
      members: c.members ? new Set(c.members) : undefined,
    });
  }
  for (const u of cfg.users) {
    users.set(u.id, {
      id: u.id,
      name: u.name,
      realName: u.realName ?? u.name,
      isAdmin: u.isAdmin ?? false,
      isBot: false,
    });
  }
  users.set(cfg.botUserId, {
    id: cfg.botUserId,
    name: cfg.botName,
    realName: cfg.botName,
    isAdmin: false,
    isBot: true,
  });

  /** Slack's ts: "<seconds>.<6 digits>", unique and increasing within the workspace. */
  function nextTs(): string {
    const micros = Math.max(Math.floor(clock() * 1000), lastMicros + 1);
    lastMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  /** DM ids are stable per user: `D` + the user id without its `U`. */
  function openDm(userId: string): { channel: Channel; created: boolean } {
    const id = `D${userId.slice(1)}`;
    const existing = channels.get(id);
    if (existing) return { channel: existing, created: false };
    const channel: Channel = { id, name: userId, isIm: true, user: userId };
    channels.set(id, channel);
    return { channel, created: true };
  }

  /** Accepts an id, `#name` or `name` (as Slack does), or a user id (the app's DM with them). */
  function resolveChannel(ref: string): Channel | undefined {
    if (!ref) return undefined;
    const direct = channels.get(ref);
    if (direct) return direct;
    if (/^[UW]/.test(ref) && users.has(ref) && !users.get(ref)?.isBot) return openDm(ref).channel;
    const name = ref.replace(/^#/, '');
    for (const c of channels.values()) if (!c.isIm && c.name === name) return c;
    return undefined;
  }

  function list(channelId: string): Message[] {
    let l = messages.get(channelId);
    if (!l) {
      l = [];
      messages.set(channelId, l);
    }
    return l;
  }

  function find(channelId: string, ts: string): Message | undefined {
    return messages.get(channelId)?.find((m) => m.ts === ts && !m.deleted);
  }

  function post(input: PostInput): Message {
    // A reply to a reply belongs to the parent's thread, as in Slack.
    const parent = input.threadTs ? find(input.channel, input.threadTs) : undefined;
    const threadTs = parent?.threadTs ?? input.threadTs;
    // Slack marks a parent with its own ts as thread_ts once it has replies.
    if (parent && !parent.threadTs) parent.threadTs = parent.ts;
    const message: Message = {
      channel: input.channel,
      ts: nextTs(),
      threadTs,
      text: input.text,
      blocks: input.blocks,
      user: input.user,
      botId: input.botId,
      source: input.source,
      ...(input.metadata ? { metadata: input.metadata } : {}),
      postedAt: clock(),
      history: [],
      deleted: false,
    };
    list(input.channel).push(message);
    return message;
  }

  function replace(
    target: Message | Ephemeral,
    next: { text: string; blocks?: Block[] | undefined },
  ): void {
    target.history.push({ text: target.text, blocks: target.blocks, replacedAt: clock() });
    target.text = next.text;
    target.blocks = next.blocks;
  }

  function addEphemeral(input: EphemeralInput): Ephemeral {
    const e: Ephemeral = { ...input, ts: nextTs(), postedAt: clock(), deleted: false, history: [] };
    ephemerals.push(e);
    return e;
  }

  function channelId(ref: string): string {
    const c = resolveChannel(ref);
    if (!c) throw new Error(`local-slack: no channel "${ref}"`);
    return c.id;
  }

  return {
    channels,
    users,
    nextTs,
    openDm,
    resolveChannel,
    find,
    post,
    replace,
    addEphemeral,
    findEphemeral(user: string, ts: string): Ephemeral | undefined {
      return ephemerals.find((e) => e.user === user && e.ts === ts && !e.deleted);
    },
    /** Top-level messages of a channel, oldest first (thread replies are in `thread`). */
    history(ref: string): Message[] {
      const id = channelId(ref);
      return list(id).filter((m) => !m.deleted && (!m.threadTs || m.threadTs === m.ts));
    },
    /** The parent then its replies, oldest first. */
    thread(ref: string, ts: string): Message[] {
      const id = channelId(ref);
      return list(id).filter((m) => !m.deleted && (m.ts === ts || m.threadTs === ts));
    },
    message(ref: string, ts: string): Message | undefined {
      return find(channelId(ref), ts);
    },
    /** Everything posted anywhere, including deleted messages, oldest first. */
    allMessages(): Message[] {
      return [...messages.values()].flat().sort((a, b) => a.ts.localeCompare(b.ts));
    },
    ephemerals(user: string, channelRef?: string): Ephemeral[] {
      const id = channelRef ? channelId(channelRef) : undefined;
      return ephemerals.filter((e) => e.user === user && !e.deleted && (!id || e.channel === id));
    },
  };
}
