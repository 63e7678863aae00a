import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness, webRequest } from '../../test/support/engine-harness.js';
import { RetryableError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { createMessageSlot, type MessageSlot, type SlotTiming } from './message-slot.js';
import { createRecordingChat, type RecordingChat } from './test-support/recording-chat.js';
import type { MessageView } from './types.js';

const log = createLogger({ level: 'silent' });
const TIMING: SlotTiming = {
  minIntervalMs: 50,
  maxAttempts: 3,
  retryBaseMs: 20,
  retryMaxMs: 100,
  staleClaimMs: 60_000,
};

let h: Harness | null = null;
let lastDeploymentId = '';
const open: MessageSlot[] = [];
afterEach(async () => {
  for (const slot of open.splice(0)) slot.close();
  await h?.close();
  h = null;
});

/** A deployment to hang messages on, and a slot for its main message as one replica keeps it. */
async function setUp() {
  h = await startHarness({ start: false });
  const r = await h.app.engine.request(webRequest());
  if (!r.ok) throw new Error(r.reason);
  const store = h.app.store;
  const deploymentId = r.deployment.id;
  lastDeploymentId = deploymentId;
  return (chat: RecordingChat, timing: Partial<SlotTiming> = {}) => {
    const slot = createMessageSlot(
      { chat: chat.client, store, log, timing: { ...TIMING, ...timing } },
      { deploymentId, purpose: 'main', channel: async () => 'C-WEB' },
    );
    open.push(slot);
    return slot;
  };
}

async function settled(...slots: MessageSlot[]): Promise<void> {
  while (slots.some((s) => s.busy())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** What the deployment looks like in the store, as each replica would render it. */
let state = 'queued';
const render = async (): Promise<MessageView> => ({
  title: `web 1.4.2 → staging: ${state}`,
  tone: 'neutral',
});

describe('message slot', () => {
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

  it('looks first when it takes over a reservation whose process died while posting', async () => {
    const slotOn = await setUp();
    const claimedAt = new Date(Date.now() - 120_000);
    await h?.app.store.claimMessage({
      deploymentId: lastDeploymentId,
      purpose: 'main',
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
});
