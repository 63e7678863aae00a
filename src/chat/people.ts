import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { isMemberId } from '../core/people.js';
import type { Store } from '../store/types.js';
import { displayName, platformOf } from './identity.js';
import type { ChatClient } from './types.js';

/**
 * How long a name is trusted before Slack is asked again. People rarely rename themselves, and
 * users.info is Tier 4 (100 calls a minute, docs.slack.dev/reference/methods/users.info): once a
 * day per person costs nothing and catches a rename by the next day.
 */
export const NAME_REFRESH_MS = 24 * 3_600_000;
/** A lookup that failed (Slack down, a missing scope) is tried again after this, not at once. */
const RETRY_AFTER_FAILURE_MS = 15 * 60_000;

/**
 * Learns people's names and keeps them in the store, by actor id, where the CLI and the API read
 * them. A person listed under `people:` with a `name` is named by the config, without asking
 * anyone; everyone else by their chat platform (`ChatClient.userName`: the router asks the
 * platform they are on, with their id there). Lookups run in the background, one at a time:
 * learning never delays what asked for it, and a burst of new people is spread out rather than
 * sent to Slack at once (the Web API client waits out any 429). Each person is asked at most
 * once per refresh period, remembered in memory and, across restarts and replicas, in the store.
 */
export interface PeopleDirectory {
  /** Looks these ids up unless they were asked recently. Never throws, never waits. */
  learn(users: Iterable<string>): void;
  /** Resolves once every lookup asked for so far has run (tests). */
  settled(): Promise<void>;
  /**
   * Drops lookups not started yet; the answer of one under way is not stored. Does not wait for
   * it: a lookup may take a minute of retries while Slack is down, and the name can wait.
   */
  stop(): void;
}

export interface PeopleDirectoryDeps {
  chat: Pick<ChatClient, 'userName'>;
  /** Who is listed under `people:`, and the names the config gives them. */
  config?: Pick<Config, 'people'>;
  store: Pick<Store, 'findPeople' | 'rememberPeople'>;
  log: Logger;
  refreshMs?: number;
  now?: () => number;
}

export function createPeopleDirectory(deps: PeopleDirectoryDeps): PeopleDirectory {
  const { store, log } = deps;
  const userName = deps.chat.userName?.bind(deps.chat);
  const refreshMs = deps.refreshMs ?? NAME_REFRESH_MS;
  const now = deps.now ?? Date.now;
  /** When each person may be asked again; absent until the store was read for them. */
  const dueAt = new Map<string, number>();
  const waiting = new Set<string>();
  let working: Promise<void> | null = null;
  let stopped = false;
  let failing = false;

  const isDue = (user: string) => (dueAt.get(user) ?? Number.NEGATIVE_INFINITY) <= now();
  const configuredName = (user: string) => (deps.config ? displayName(deps.config, user) : null);
  /** A listed person, or someone a platform knows by this id. */
  const isPerson = (user: string) =>
    (deps.config !== undefined && Object.hasOwn(deps.config.people, user)) ||
    isMemberId(user) ||
    (platformOf(user) === 'teams' && user.length > 'teams:'.length);

  function kick(): void {
    if (working || waiting.size === 0 || stopped) return;
    working = work().finally(() => {
      working = null;
      // Learned between the last check and here.
      kick();
    });
  }

  async function work(): Promise<void> {
    // After the caller's turn: an acknowledgement being sent goes out before any lookup starts.
    await new Promise((resolve) => setImmediate(resolve));
    while (waiting.size > 0 && !stopped) {
      const batch = [...waiting];
      // A name from the config is written once per process, whatever the store holds: a name
      // changed in slipway.yaml shows from the next start.
      await readStored(batch.filter((user) => !dueAt.has(user) && configuredName(user) === null));
      for (const user of batch) {
        if (stopped) return;
        if (isDue(user)) await lookUp(user);
        // Only now: a learn() meanwhile finds it waiting and does not queue it twice.
        waiting.delete(user);
      }
    }
  }

  /** Names another process (or this one before a restart) asked for recently are not asked again. */
  async function readStored(users: string[]): Promise<void> {
    if (users.length === 0) return;
    try {
      const stored = await store.findPeople(users);
      for (const [id, person] of stored) dueAt.set(id, person.refreshedAt.getTime() + refreshMs);
    } catch (err) {
      report(err, 'could not read known names; asking the chat platform instead');
    }
  }

  async function lookUp(user: string): Promise<void> {
    try {
      const name = configuredName(user) ?? (await userName?.(user)) ?? null;
      if (stopped) return;
      const at = now();
      if (name === null) log.debug({ user }, 'the chat platform knows no such user');
      else await store.rememberPeople([{ id: user, name, refreshedAt: new Date(at) }]);
      dueAt.set(user, at + refreshMs);
      failing = false;
    } catch (err) {
      dueAt.set(user, now() + RETRY_AFTER_FAILURE_MS);
      report(err, "could not look up a person's name; they are shown by id meanwhile", user);
    }
  }

  /** One warning per run of failures (an outage fails every lookup); the rest at debug. */
  function report(err: unknown, message: string, user?: string): void {
    log[failing ? 'debug' : 'warn']({ err, ...(user ? { user } : {}) }, message);
    failing = true;
  }

  return {
    learn(users) {
      if (stopped) return;
      for (const user of users) {
        if (!isPerson(user) || !isDue(user)) continue;
        if (userName || configuredName(user) !== null) waiting.add(user);
      }
      kick();
    },
    async settled() {
      while (working) await working;
    },
    stop() {
      stopped = true;
      waiting.clear();
    },
  };
}
