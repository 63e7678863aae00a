import type { Account, Channel, Directory, GroupChat, User } from './directory.js';

/** An activity as stored: what the bot sent (or a person typed), every field kept. */
export type Activity = Record<string, unknown> & { type: string; id?: string; text?: string };

export type ConversationType = 'personal' | 'groupChat' | 'channel';

export interface StoredActivity {
  id: string;
  /** The conversation's id without any `;messageid=` thread suffix. */
  conversationId: string;
  /** In a channel: the id of the post that starts the thread (its own id for that post). */
  threadId?: string | undefined;
  replyToId?: string | undefined;
  from: Account;
  byBot: boolean;
  /** Every version, oldest first: as posted, then each update in place. */
  versions: Activity[];
  deleted: boolean;
  postedAt: number;
}

export interface Conversation {
  id: string;
  type: ConversationType;
  tenantId: string;
  channel?: Channel | undefined;
  chat?: GroupChat | undefined;
  user?: User | undefined;
  activities: StoredActivity[];
}

export interface CallRecord {
  method: string;
  /** Relative to the serviceUrl for connector calls (`/v3/conversations/…`), else absolute. */
  path: string;
  operation: string;
  status: number;
  errorCode?: string | undefined;
  conversationId?: string | undefined;
  activityId?: string | undefined;
  at: number;
}

export interface Delivery {
  activity: Activity;
  status?: number | undefined;
  body?: unknown;
  error?: string | undefined;
  timedOut: boolean;
  at: number;
}

/** Splits `19:…@thread.tacv2;messageid=123` into the conversation and the thread root. */
export function splitThread(id: string): { base: string; messageId?: string | undefined } {
  const [base = '', ...rest] = id.split(';');
  const messageId = rest.map((r) => /^messageid=(\d+)$/.exec(r)?.[1]).find(Boolean);
  return { base, messageId };
}

export function membersOf(c: Conversation): User[] {
  if (c.channel) return c.channel.team.members;
  if (c.chat) return c.chat.members;
  return c.user ? [c.user] : [];
}

export function botInstalledIn(c: Conversation): boolean {
  if (c.channel) return c.channel.team.botInstalled;
  if (c.chat) return c.chat.botInstalled;
  return c.user?.installed ?? false;
}

export const current = (a: StoredActivity): Activity =>
  a.versions[a.versions.length - 1] as Activity;

export type State = ReturnType<typeof createState>;

export function createState(directory: Directory, clock: () => number) {
  const conversations = new Map<string, Conversation>();
  const calls: CallRecord[] = [];
  const deliveries: Delivery[] = [];
  const listeners = new Set<() => void>();
  let lastId = 0;

  const add = (c: Omit<Conversation, 'activities' | 'tenantId'>) =>
    conversations.set(c.id, { ...c, tenantId: directory.tenantId, activities: [] });
  for (const t of directory.teams) {
    for (const channel of t.channels) add({ id: channel.id, type: 'channel', channel });
  }
  for (const chat of directory.groupChats) add({ id: chat.id, type: 'groupChat', chat });

  function changed() {
    for (const l of [...listeners]) l();
  }

  return {
    conversations,
    conversation: (id: string) => conversations.get(splitThread(id).base),

    /** The 1:1 chat with this person, created the first time either side opens it. */
    personal(user: User): Conversation {
      const id = directory.personalChatId(user);
      const existing = conversations.get(id);
      if (existing) return existing;
      add({ id, type: 'personal', user });
      return conversations.get(id) as Conversation;
    },

    /** Teams message ids are epoch milliseconds as strings; these also always increase. */
    nextActivityId(): string {
      lastId = Math.max(clock(), lastId + 1);
      return String(lastId);
    },

    post(
      c: Conversation,
      input: Omit<StoredActivity, 'conversationId' | 'deleted' | 'postedAt' | 'versions'> & {
        activity: Activity;
      },
    ): StoredActivity {
      const { activity, ...rest } = input;
      const stored: StoredActivity = {
        ...rest,
        conversationId: c.id,
        versions: [{ ...activity, id: input.id }],
        deleted: false,
        postedAt: clock(),
      };
      c.activities.push(stored);
      changed();
      return stored;
    },

    find(c: Conversation, id: string): StoredActivity | undefined {
      return c.activities.find((a) => a.id === id);
    },

    findAnywhere(id: string): { conversation: Conversation; activity: StoredActivity } | undefined {
      for (const conversation of conversations.values()) {
        const activity = conversation.activities.find((a) => a.id === id);
        if (activity) return { conversation, activity };
      }
      return undefined;
    },

    recordCall(call: Omit<CallRecord, 'at'>) {
      calls.push({ ...call, at: clock() });
      changed();
    },
    calls: () => [...calls],

    recordDelivery(d: Omit<Delivery, 'at'>) {
      deliveries.push({ ...d, at: clock() });
      changed();
    },
    deliveries: () => [...deliveries],

    changed,
    onChange(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
