import type { Directory } from './directory.js';
import {
  type Activity,
  type CallRecord,
  type Conversation,
  type ConversationType,
  current,
  type Delivery,
  membersOf,
  type State,
  type StoredActivity,
} from './state.js';

/** A conversation as a test sees it; `activities` in the order they were posted. */
export interface ConversationView {
  id: string;
  type: ConversationType;
  tenantId: string;
  /** User keys. */
  members: string[];
  activities: StoredActivity[];
}

/** A stored activity and the version Teams shows now. */
export type ActivityView = StoredActivity & { current: Activity };

/** What tests read from the double. */
export interface Queries {
  /** By id (a `;messageid=` suffix is ignored), channel or group chat key, or `personal:<user>`. */
  conversation(ref: string): ConversationView | undefined;
  activity(id: string): ActivityView | undefined;
  /** A channel thread: its first post, then the replies. */
  thread(channel: string, rootId: string): ActivityView[];
  /** What the bot posted (deleted messages included), everywhere or in one conversation. */
  botMessages(conversation?: string): ActivityView[];
  /** Connector and token calls, refused ones included, optionally of one operation. */
  calls(operation?: string): CallRecord[];
  deliveries(): Delivery[];
  /** The invokes delivered and what the bot answered each. */
  invokeResponses(): Delivery[];
  /** Resolves with the first truthy value of `check`, re-run whenever the double changes. */
  waitFor<T>(check: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
}

const view = (a: StoredActivity): ActivityView => ({ ...a, current: current(a) });

export function createQueries(state: State, directory: Directory): Queries {
  function conversation(ref: string): Conversation | undefined {
    const personal = /^personal:(.+)$/.exec(ref)?.[1];
    if (personal) {
      const user = directory.user(personal);
      return user ? state.conversation(directory.personalChatId(user)) : undefined;
    }
    return state.conversation(directory.channel(ref)?.id ?? directory.groupChat(ref)?.id ?? ref);
  }

  function waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 5_000): Promise<T> {
    return new Promise((resolve, reject) => {
      let unsubscribe = () => {};
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        unsubscribe();
        settle();
      };
      const attempt = () => {
        try {
          const value = check();
          if (value) finish(() => resolve(value));
        } catch (err) {
          finish(() => reject(err));
        }
      };
      const timer = setTimeout(() => {
        const recent = state
          .calls()
          .slice(-5)
          .map((c) => `${c.method} ${c.path} ${c.status}`);
        const calls = recent.join(', ') || 'none';
        finish(() =>
          reject(
            new Error(`local-teams: waitFor timed out after ${timeoutMs} ms; last calls: ${calls}`),
          ),
        );
      }, timeoutMs);
      unsubscribe = state.onChange(attempt);
      attempt();
    });
  }

  return {
    conversation(ref) {
      const c = conversation(ref);
      if (!c) return undefined;
      const members = membersOf(c).map((u) => u.key);
      const { id, type, tenantId } = c;
      return { id, type, tenantId, members, activities: [...c.activities] };
    },
    activity(id) {
      const found = state.findAnywhere(id);
      return found ? view(found.activity) : undefined;
    },
    thread(channel, rootId) {
      const c = conversation(channel);
      return (c?.activities ?? []).filter((a) => a.threadId === rootId).map(view);
    },
    botMessages(ref) {
      const convs = ref === undefined ? [...state.conversations.values()] : [conversation(ref)];
      return convs
        .flatMap((c) => c?.activities ?? [])
        .filter((a) => a.byBot)
        .sort((a, b) => Number(a.id) - Number(b.id))
        .map(view);
    },
    calls: (operation) =>
      state.calls().filter((c) => operation === undefined || c.operation === operation),
    deliveries: () => state.deliveries(),
    invokeResponses: () => state.deliveries().filter((d) => d.activity.type === 'invoke'),
    waitFor,
  };
}
