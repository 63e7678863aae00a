import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, requestWeb, startHarness } from '../../../test/support/engine-harness.js';
import { NotFoundError, PostOutcomeUnknownError, RetryableError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { deploymentSubject } from '../../core/message-subject.js';
import { createRecordingChat, type RecordingChat } from '../test-support/recording-chat.js';
import type { MessageView } from '../types.js';
import { createPostedMessage, type PostedMessage, type PostedTiming } from './posted-message.js';
import { PostedElsewhere } from './reservation.js';

const log = createLogger({ level: 'silent' });
const TIMING: PostedTiming = {
  minIntervalMs: 50,
  maxAttempts: 3,
  retryBaseMs: 20,
  retryMaxMs: 100,
  staleClaimMs: 60_000,
  waitForPosterMs: Number.POSITIVE_INFINITY,
};

let h: Harness | null = null;
let lastDeploymentId = '';
const open: PostedMessage[] = [];
afterEach(async () => {
  for (const slot of open.splice(0)) slot.close();
  await h?.close();
  h = null;
});

/** A deployment to hang messages on, and its main message as one replica keeps it. */
async function setUp() {
  h = await startHarness({ start: false });
  const store = h.app.store;
  const deploymentId = (await requestWeb(h.app)).id;
  lastDeploymentId = deploymentId;
  return (
    chat: RecordingChat,
    timing: Partial<PostedTiming> = {},
    to: { channel: string } | { user: string } = { channel: 'C-WEB' },
  ) => {
    const slot = createPostedMessage(
      { chat: chat.client, store, log, timing: { ...TIMING, ...timing } },
      { subject: deploymentSubject(deploymentId), purpose: 'main', to },
    );
    open.push(slot);
    return slot;
  };
}

async function settled(...slots: PostedMessage[]): Promise<void> {
  while (slots.some((s) => s.busy())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** What the deployment looks like in the store, as each replica would render it. */
let state = 'queued';
const render = async (): Promise<MessageView> => ({
  title: `web 1.4.2 → staging: ${state}`,
  tone: 'neutral',
});

describe('posted message', () => {
  it('ends on the latest state when another replica’s older view lands after its update', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    const a = slotOn(chat);
    const b = slotOn(chat);
    state = 'queued';
    a.show(render);
    await settled(a);
    const [message] = chat.inChannel('C-WEB');
    if (!message) throw new Error('no message posted');

    // Replica A renders "queued behind" and its update waits out a rate limit...
    const release = chat.holdNext('update');
    state = 'queued behind 1.4.1';
    a.show(render);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(chat.callsOf('update')).toHaveLength(1);
    // ...while replica B supersedes the deployment and shows it at once.
    state = 'superseded';
    b.show(render);
    await settled(b);
    expect(chat.latest(message).title).toBe('web 1.4.2 → staging: superseded');
    // A's stale view lands last; A looks again and puts the latest back.
    release();
    await settled(a, b);
    expect(message.versions.map((v) => v.title)).toEqual([
      'web 1.4.2 → staging: queued',
      'web 1.4.2 → staging: superseded',
      'web 1.4.2 → staging: queued behind 1.4.1',
      'web 1.4.2 → staging: superseded',
    ]);
  });

  it('looks again after an update without calling Slack when nothing changed', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    const a = slotOn(chat);
    let renders = 0;
    state = 'queued';
    const counted = async () => {
      renders++;
      return render();
    };
    a.show(counted);
    await settled(a);
    state = 'deploying';
    a.show(counted);
    await settled(a);
    // Each delivered view is rendered once more after its interval, and is not sent again.
    expect(renders).toBe(4);
    expect(chat.calls.map((c) => c.method)).toEqual(['post', 'update']);
  });

  it('waits for another replica that is posting the message, however many tries that takes', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    const a = slotOn(chat);
    const b = slotOn(chat);
    // A reserves the message and its post hangs: B finds the reservation without a message.
    const release = chat.holdNext('post');
    state = 'queued';
    a.show(render);
    await new Promise((resolve) => setTimeout(resolve, 20));
    state = 'superseded';
    b.show(render);
    // Far more than maxAttempts (3) of B's tries go by before A's post completes.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(b.busy()).toBe(true);
    release();
    await settled(a, b);
    const [message, ...others] = chat.inChannel('C-WEB');
    expect(others).toEqual([]);
    expect(message && chat.latest(message).title).toBe('web 1.4.2 → staging: superseded');
  });

  it('keys its post, and looks for it first after a post whose outcome was unknown', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    chat.failNext('post', () => new RetryableError('Slack could not be reached (timeout)'), 1);
    const slot = slotOn(chat);
    const before = new Date();
    slot.show(render);
    await settled(slot);
    const posts = chat.callsOf('post');
    expect(posts).toHaveLength(2);
    const key = { subject: lastDeploymentId, purpose: 'main' };
    expect(posts[0]).toMatchObject({ key });
    expect(posts[0]?.mayExistSince).toBeUndefined();
    expect(posts[1]).toMatchObject({ key });
    expect(posts[1]?.mayExistSince?.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(posts[1]?.mayExistSince?.getTime()).toBeLessThanOrEqual(posts[1]?.at ?? 0);
  });

  it('does not look after a post the platform refused with a rate limit', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    chat.failNext('post', () => new RetryableError('Slack rate-limited chat.postMessage', 1), 1);
    const slot = slotOn(chat);
    slot.show(render);
    await settled(slot);
    const posts = chat.callsOf('post');
    expect(posts).toHaveLength(2);
    // A 429 proves nothing was posted: the second try reads no history.
    expect(posts[1]?.mayExistSince).toBeUndefined();
  });

  it('looks after a post given up rate-limited when a try before it had timed out', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    const since = new Date(Date.now() - 5_000);
    chat.failNext(
      'post',
      () => new PostOutcomeUnknownError('Slack rate-limited chat.postMessage', since, 1),
      1,
    );
    const slot = slotOn(chat);
    slot.show(render);
    await settled(slot);
    expect(chat.callsOf('post')[1]?.mayExistSince).toEqual(since);
  });

  it('looks first when it takes over a reservation whose process died while posting', async () => {
    const slotOn = await setUp();
    const claimedAt = new Date(Date.now() - 120_000);
    await h?.app.store.reservePostedMessage({
      subject: deploymentSubject(lastDeploymentId),
      purpose: 'main',
      address: 'C-WEB',
      channel: 'C-WEB',
      at: claimedAt,
    });
    const chat = createRecordingChat();
    const slot = slotOn(chat);
    slot.show(render);
    await settled(slot);
    const posts = chat.callsOf('post');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.mayExistSince).toEqual(claimedAt);
  });

  it('answers show with what it did: posted, updated, unchanged', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    const slot = slotOn(chat);
    state = 'queued';
    const posted = await slot.show(render);
    expect(posted).toEqual({ outcome: 'posted', ref: slot.ref() });
    state = 'deploying';
    expect(await slot.show(render)).toMatchObject({ outcome: 'updated' });
    expect(await slot.show(render)).toMatchObject({ outcome: 'unchanged', ref: slot.ref() });
    expect(await slot.show(async () => null)).toEqual({ outcome: 'nothing' });
    expect(chat.calls.map((c) => c.method)).toEqual(['post', 'update']);
  });

  it('answers the failure when the caller retries itself (maxAttempts 1)', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    const slot = slotOn(chat, { maxAttempts: 1 });
    chat.failNext('post', () => new Error('socket hang up'));
    const failed = await slot.show(render);
    expect(failed).toMatchObject({ outcome: 'failed', error: { message: 'socket hang up' } });
    // Nothing tried again by itself: the caller does.
    await settled(slot);
    expect(chat.callsOf('post')).toHaveLength(1);
    // The caller's retry posts, looking first for what the failed call may have posted.
    expect(await slot.show(render)).toMatchObject({ outcome: 'posted' });
    expect(chat.callsOf('post')[1]?.mayExistSince).toBeInstanceOf(Date);
    expect(chat.inChannel('C-WEB')).toHaveLength(1);
  });

  it('gives up waiting for another process posting it after waitForPosterMs', async () => {
    const slotOn = await setUp();
    await h?.app.store.reservePostedMessage({
      subject: deploymentSubject(lastDeploymentId),
      purpose: 'main',
      address: 'C-WEB',
      channel: 'C-WEB',
    });
    const chat = createRecordingChat();
    const slot = slotOn(chat, { waitForPosterMs: 100 });
    const shown = await slot.show(render);
    expect(shown).toMatchObject({ outcome: 'failed' });
    expect(shown.outcome === 'failed' && shown.error).toBeInstanceOf(PostedElsewhere);
    expect(chat.calls).toEqual([]);
  });

  it('does not post again when the message was deleted', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    const slot = slotOn(chat);
    state = 'queued';
    await slot.show(render);
    chat.failNext('update', () => new NotFoundError('message_not_found'));
    state = 'deploying';
    expect(await slot.show(render)).toMatchObject({ outcome: 'updated' });
    await settled(slot);
    expect(chat.callsOf('post')).toHaveLength(1);
    expect(chat.callsOf('update')).toHaveLength(1);
  });

  it('reserves a direct message by whom it is for, and records the conversation opened', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    const dm = slotOn(chat, {}, { user: 'U-QA1' });
    await dm.show(render);
    const subject = deploymentSubject(lastDeploymentId);
    const stored = await h?.app.store.listPostedMessages(subject);
    expect(stored?.map((m) => [m.address, m.channel, m.ts])).toEqual([
      ['dm:U-QA1', 'D-U-QA1', dm.ref()?.ts],
    ]);
  });

  it('keeps one message per channel for the same subject and purpose', async () => {
    const slotOn = await setUp();
    const chat = createRecordingChat();
    const slack = slotOn(chat, {}, { channel: 'C-WEB' });
    const teams = slotOn(chat, {}, { channel: 'teams:19:web@thread.tacv2' });
    await Promise.all([slack.show(render), teams.show(render)]);
    expect(chat.inChannel('C-WEB')).toHaveLength(1);
    expect(chat.inChannel('teams:19:web@thread.tacv2')).toHaveLength(1);
    const again = slotOn(chat, {}, { channel: 'teams:19:web@thread.tacv2' });
    state = 'deploying';
    expect(await again.show(render)).toMatchObject({ outcome: 'updated', ref: teams.ref() });
  });
});
