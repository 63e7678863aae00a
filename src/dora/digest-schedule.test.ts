import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeTestDir, tempDir } from '../../test/support/engine-harness.js';
import { createRecordingChat, type RecordingChat } from '../chat/test-support/recording-chat.js';
import { Config } from '../config/schema.js';
import { createLogger } from '../core/logger.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import {
  createDigestSchedule,
  DIGEST_PURPOSE,
  type DigestSchedule,
  type DigestScheduleOptions,
} from './digest-schedule.js';
import { seed } from './test-support/story.js';

const binding = { driver: 'command', options: { deploy: ['true'] } };
const config = Config.parse({
  environments: [
    { name: 'staging', order: 1 },
    { name: 'production', order: 2 },
  ],
  services: [
    { name: 'web', driver: binding },
    { name: 'api', driver: binding },
  ],
  dora: { digest: { channel: 'C0DORA0001' } },
});
const digest = config.dora.digest as NonNullable<typeof config.dora.digest>;
const log = createLogger({ level: 'silent' });
/** Wednesday of 2025-W13: the digest of W12 (the story's last week) was due on Monday. */
const WEDNESDAY = new Date('2025-03-26T10:00:00Z');

let dir: string;
let url: string;
let stores: Store[];
let schedules: DigestSchedule[];

beforeEach(async () => {
  dir = tempDir('slipway-digest-');
  url = `sqlite://${join(dir, 'slipway.db')}`;
  stores = [];
  schedules = [];
  await seed(await open());
});
afterEach(async () => {
  for (const s of schedules) await s.stop();
  for (const s of stores) await s.close();
  await removeTestDir(dir);
});

/** A process's connection to the one database, as each replica (or restart) has its own. */
async function open(): Promise<Store> {
  const store = createStore(url);
  await store.migrate();
  stores.push(store);
  return store;
}

async function replica(
  chat: RecordingChat,
  now: () => Date,
  options: DigestScheduleOptions = {},
): Promise<DigestSchedule> {
  const schedule = createDigestSchedule(
    { store: await open(), chat: chat.client, config, digest, log, now },
    options,
  );
  schedules.push(schedule);
  return schedule;
}

const titles = (chat: RecordingChat) =>
  chat.inChannel('C0DORA0001').map((m) => chat.latest(m).title);

async function eventually(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the DORA digest schedule', () => {
  it('posts a digest missed while the server was down when it starts, and a restart does not post it again', async () => {
    const chat = createRecordingChat();
    const first = await replica(chat, () => WEDNESDAY);
    expect(await first.runDue()).toBe('posted');
    expect(titles(chat)).toEqual(['DORA metrics for 2025-W12']);
    expect(chat.callsOf('post')[0]?.key).toEqual({
      subject: 'digest:2025-W12',
      purpose: DIGEST_PURPOSE,
    });
    await first.stop();

    const restarted = await replica(chat, () => new Date(WEDNESDAY.getTime() + 3_600_000));
    expect(await restarted.runDue()).toBe('posted-before');
    expect(chat.callsOf('post')).toHaveLength(1);
    expect(chat.callsOf('update')).toHaveLength(0);
  });

  it('does not post a digest whose week is over: the next one is due instead', async () => {
    const chat = createRecordingChat();
    // Monday of W13 before 09:00: W11's digest (due last Monday) was never posted, and is stale.
    const early = await replica(chat, () => new Date('2025-03-24T08:00:00Z'));
    expect(await early.runDue()).toBe('not-due');
    expect(early.nextDueAt()).toEqual(new Date('2025-03-24T09:00:00Z'));
    expect(chat.calls).toHaveLength(0);
  });

  it('two replicas on one database post the week’s digest once', async () => {
    // Slow enough that both are under way at once.
    const chat = createRecordingChat({ delayMs: 50 });
    const a = await replica(chat, () => WEDNESDAY);
    const b = await replica(chat, () => WEDNESDAY);
    const outcomes = await Promise.all([a.runDue(), b.runDue()]);
    expect(outcomes.filter((o) => o === 'posted')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'posted')).toEqual([
      expect.stringMatching(/^(posting-elsewhere|posted-before)$/),
    ]);
    expect(titles(chat)).toEqual(['DORA metrics for 2025-W12']);
    // The one that gave way looks again (after retryMs) and finds it posted.
    const gaveWay = outcomes[0] === 'posted' ? b : a;
    expect(await gaveWay.runDue()).toBe('posted-before');
    expect(chat.callsOf('post')).toHaveLength(1);
  });

  it('tries again after a failed post, looking first for a post that may have landed', async () => {
    const chat = createRecordingChat();
    chat.failNext('post', () => new Error('socket hang up'));
    // A reservation without a message counts as abandoned at once here (by default after 2m).
    const schedule = await replica(chat, () => WEDNESDAY, { staleClaimMs: 0 });
    expect(await schedule.runDue()).toBe('failed');
    expect(titles(chat)).toEqual([]);
    expect(await schedule.runDue()).toBe('posted');
    expect(titles(chat)).toEqual(['DORA metrics for 2025-W12']);
    expect(chat.callsOf('post')[1]?.mayExistSince).toBeInstanceOf(Date);
  });

  it('posts at the due time on its own timer, once', async () => {
    const chat = createRecordingChat();
    // 300 ms before Monday 09:00 UTC of W13, on a clock that runs.
    const due = new Date('2025-03-24T09:00:00Z').getTime();
    const started = Date.now();
    const now = () => new Date(due - 300 + (Date.now() - started));
    const schedule = await replica(chat, now);
    schedule.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(chat.calls).toHaveLength(0);
    await eventually(() => titles(chat).length > 0);
    expect(now().getTime()).toBeGreaterThanOrEqual(due);
    expect(titles(chat)).toEqual(['DORA metrics for 2025-W12']);
    expect(schedule.nextDueAt()).toEqual(new Date('2025-03-31T09:00:00Z'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(chat.callsOf('post')).toHaveLength(1);
  });

  it('stop() cancels the timer: nothing is posted after it', async () => {
    const chat = createRecordingChat();
    const due = new Date('2025-03-24T09:00:00Z').getTime();
    const started = Date.now();
    const schedule = await replica(chat, () => new Date(due - 200 + (Date.now() - started)));
    schedule.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await schedule.stop();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(chat.calls).toHaveLength(0);
  });
});
