import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createPeopleDirectory } from './people.js';

const DAY = 24 * 3_600_000;
const ANA = 'U0API0001';

let store: Store;
let clock: number;
let logs: { level: number; msg: string; user?: string }[];
/** What the fake Slack answers, by user; an Error is thrown. Unlisted users are unknown. */
let slack: Map<string, string | Error>;
let asked: string[];

beforeEach(async () => {
  store = createStore(':memory:');
  await store.migrate();
  clock = Date.parse('2025-03-01T10:00:00Z');
  logs = [];
  slack = new Map([[ANA, 'Ana Lima']]);
  asked = [];
});
afterEach(() => store.close());

function directory() {
  return createPeopleDirectory({
    chat: {
      async userName(user) {
        asked.push(user);
        const answer = slack.get(user) ?? null;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
    store,
    log: createLogger({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
    now: () => clock,
  });
}

const nameOf = async (id: string) => (await store.findPeople([id])).get(id)?.name;

describe('the people directory', () => {
  it('asks Slack once and keeps the name in the store; a second lookup makes no call', async () => {
    const people = directory();
    people.learn([ANA, ANA]);
    people.learn([ANA]);
    await people.settled();
    expect(asked).toEqual([ANA]);
    expect(await nameOf(ANA)).toBe('Ana Lima');
    clock += DAY - 1;
    people.learn([ANA]);
    await people.settled();
    expect(asked).toEqual([ANA]);
  });

  it('asks again once the refresh period has passed, and takes a new name', async () => {
    const people = directory();
    people.learn([ANA]);
    await people.settled();
    slack.set(ANA, 'Ana B. Lima');
    clock += DAY;
    people.learn([ANA]);
    await people.settled();
    expect(asked).toEqual([ANA, ANA]);
    expect(await nameOf(ANA)).toBe('Ana B. Lima');
  });

  it('after a restart, trusts a name another process stored within the period', async () => {
    await store.rememberPeople([
      { id: ANA, name: 'Ana', refreshedAt: new Date(clock - DAY + 60_000) },
    ]);
    const people = directory();
    people.learn([ANA]);
    await people.settled();
    expect(asked).toEqual([]);
    clock += 60_000;
    people.learn([ANA]);
    await people.settled();
    expect(asked).toEqual([ANA]);
    expect(await nameOf(ANA)).toBe('Ana Lima');
  });

  it('leaves a user Slack does not know as an id, without asking again within the period', async () => {
    const people = directory();
    people.learn(['U0NOBODY1']);
    await people.settled();
    people.learn(['U0NOBODY1']);
    await people.settled();
    expect(asked).toEqual(['U0NOBODY1']);
    expect(await store.findPeople(['U0NOBODY1'])).toEqual(new Map());
  });

  it('asks nothing for identities that are no Slack member', async () => {
    const people = directory();
    people.learn(['operator', 'slipway', '*', '@qa']);
    await people.settled();
    expect(asked).toEqual([]);
  });

  it('logs a failing Slack once as a warning, never throws, and tries again later', async () => {
    const people = directory();
    const BEN = 'U0WEB0001';
    slack.set(ANA, new RetryableError('Slack answered users.info with HTTP 503'));
    slack.set(BEN, new RetryableError('Slack answered users.info with HTTP 503'));
    expect(() => people.learn([ANA, BEN])).not.toThrow();
    await people.settled();
    expect(asked).toEqual([ANA, BEN]);
    const failures = logs.filter((l) => /could not look up/.test(l.msg));
    expect(failures.map((l) => [l.level, l.user])).toEqual([
      [40, ANA],
      [20, BEN],
    ]);
    // Not at the next interaction: after a while.
    people.learn([ANA]);
    await people.settled();
    expect(asked).toHaveLength(2);
    slack.set(ANA, 'Ana Lima');
    clock += 15 * 60_000;
    people.learn([ANA]);
    await people.settled();
    expect(await nameOf(ANA)).toBe('Ana Lima');
  });

  it('does nothing without a platform that names people, and nothing after stop', async () => {
    const silent = createPeopleDirectory({
      chat: {},
      store,
      log: createLogger({ level: 'silent' }),
    });
    silent.learn([ANA]);
    await silent.settled();
    const people = directory();
    people.stop();
    people.learn([ANA]);
    await people.settled();
    expect(asked).toEqual([]);
    expect(await store.findPeople([ANA])).toEqual(new Map());
  });

  it('stores no answer that comes after stop', async () => {
    let answer: ((name: string) => void) | null = null;
    const people = createPeopleDirectory({
      chat: { userName: () => new Promise<string>((resolve) => (answer = resolve)) },
      store,
      log: createLogger({ level: 'silent' }),
    });
    people.learn([ANA]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (!answer) throw new Error('the lookup did not start');
    people.stop();
    (answer as (name: string) => void)('Ana Lima');
    await people.settled();
    expect(await store.findPeople([ANA])).toEqual(new Map());
  });

  it('looks people up one at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const people = createPeopleDirectory({
      chat: {
        async userName(user) {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inFlight--;
          return `name of ${user}`;
        },
      },
      store,
      log: createLogger({ level: 'silent' }),
    });
    const ids = Array.from({ length: 10 }, (_, i) => `U0P0000${i}0`);
    people.learn(ids.slice(0, 5));
    people.learn(ids.slice(5));
    await people.settled();
    expect(most).toBe(1);
    expect((await store.findPeople(ids)).size).toBe(10);
  });
});

describe('the people directory with people: in the config', () => {
  const config = {
    people: {
      alice: { slack: 'U0ALICE01', name: 'Alice Doe', direct: 'slack' as const },
      bob: { teams: '9b2c1d4e-0000-4a1b-8c2d-111122223333', direct: 'teams' as const },
    },
  };
  const STRANGER = 'teams:aaaaaaaa-0000-4000-8000-000000000000';

  /** The fake platform of the tests above, as the router's userName answers by actor id. */
  async function platformName(user: string): Promise<string | null> {
    asked.push(user);
    const answer = slack.get(user) ?? null;
    if (answer instanceof Error) throw answer;
    return answer;
  }

  function listed(chat: Parameters<typeof createPeopleDirectory>[0]['chat']) {
    return createPeopleDirectory({
      chat,
      config,
      store,
      log: createLogger({ level: 'silent' }),
      now: () => clock,
    });
  }

  it('names a listed person as the config does, without asking the platform, even one that names no one', async () => {
    const people = listed({});
    people.learn(['alice', 'bob', ANA]);
    await people.settled();
    expect(await nameOf('alice')).toBe('Alice Doe');
    expect(await store.findPeople(['bob', ANA])).toEqual(new Map());
  });

  it('asks the platform, by actor id, about listed people without a name and about Teams users', async () => {
    slack.set('bob', 'Bob from Teams');
    slack.set(STRANGER, 'A stranger');
    const people = listed({ userName: platformName });
    people.learn(['alice', 'bob', STRANGER, 'operator', 'carol']);
    await people.settled();
    expect(asked).toEqual(['bob', STRANGER]);
    expect(await nameOf('alice')).toBe('Alice Doe');
    expect(await nameOf('bob')).toBe('Bob from Teams');
    expect(await nameOf(STRANGER)).toBe('A stranger');
  });

  it("takes the config's name at start over one stored recently", async () => {
    await store.rememberPeople([
      { id: 'alice', name: 'Alice Old', refreshedAt: new Date(clock - 60_000) },
    ]);
    const people = listed({});
    people.learn(['alice']);
    await people.settled();
    expect(await nameOf('alice')).toBe('Alice Doe');
  });
});
