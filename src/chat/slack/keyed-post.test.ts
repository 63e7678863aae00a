import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostOutcomeUnknownError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { createLocalSlack, type LocalSlack } from '../../local-slack/index.js';
import type { ChatClient, MessageKey } from '../types.js';
import { createSlackClient } from './client.js';

/**
 * Keyed posts against the local Slack, whose faults can answer a call after the client's
 * timeout while still applying it: the ambiguous outcome a blind retry turns into a duplicate.
 */
let slack: LocalSlack;
let chat: ChatClient;
let apiUrl: string;
const TIMEOUT_MS = 200;
const key: MessageKey = { subject: 'd-42', purpose: 'main' };
const view = { title: 'web 1.4.2 → staging: queued', tone: 'waiting' as const };

beforeEach(async () => {
  slack = createLocalSlack({
    channels: [{ id: 'C0WEB', name: 'web' }],
    users: [{ id: 'U0DEV', name: 'dev' }],
  });
  ({ apiUrl } = await slack.start());
  chat = createSlackClient({
    token: slack.config.botToken,
    apiUrl,
    timeoutMs: TIMEOUT_MS,
    retryConfig: { retries: 3, factor: 1, minTimeout: 20, maxTimeout: 20, randomize: false },
  });
});
afterEach(() => slack.stop());

const posts = () => slack.history('C0WEB');

describe('keyed chat posts', () => {
  it('adopts the message Slack stored although it answered after the client gave up', async () => {
    slack.faults.delay('chat.postMessage', TIMEOUT_MS * 3, { when: 'after' });
    const ref = await chat.post('C0WEB', view, { key });
    expect(posts()).toHaveLength(1);
    expect(ref).toEqual({ channel: 'C0WEB', ts: posts()[0]?.ts });
    expect(posts()[0]?.metadata).toEqual({
      event_type: 'slipway_message',
      event_payload: { subject: 'd-42', purpose: 'main' },
    });
    expect(slack.calls('chat.postMessage')).toHaveLength(1);
    expect(slack.calls('conversations.history')).toHaveLength(1);
    // The adopted message is the one that gets updated.
    await chat.update(ref, { ...view, title: 'web 1.4.2 → staging: deployed' });
    expect(posts()[0]?.text).toContain('deployed');
  });

  it('posts again when the call that timed out never reached Slack', async () => {
    slack.faults.delay('chat.postMessage', TIMEOUT_MS * 3);
    const ref = await chat.post('C0WEB', view, { key });
    expect(posts().map((m) => m.ts)).toEqual([ref.ts]);
    expect(slack.calls('conversations.history')).toHaveLength(1);
  });

  it('does not take another message of the same deployment for this one', async () => {
    await chat.post('C0WEB', view, { key: { ...key, purpose: 'announcement' } });
    slack.faults.delay('chat.postMessage', TIMEOUT_MS * 3);
    const ref = await chat.post('C0WEB', view, { key });
    expect(posts()).toHaveLength(2);
    expect(posts()[1]?.ts).toBe(ref.ts);
  });

  it('looks first when an earlier call may have posted it, and posts nothing more', async () => {
    const since = new Date();
    const first = await chat.post('C0WEB', view, { key });
    const again = await chat.post('C0WEB', view, { key, mayExistSince: since });
    expect(again).toEqual(first);
    expect(posts()).toHaveLength(1);
  });

  it('adopts a message an earlier Slipway keyed by its deployment alone', async () => {
    const since = new Date();
    const earlier = new WebClient(slack.config.botToken, { slackApiUrl: apiUrl });
    const old = await earlier.chat.postMessage({
      channel: 'C0WEB',
      text: view.title,
      metadata: {
        event_type: 'slipway_message',
        event_payload: { deployment_id: 'd-42', purpose: 'main' },
      },
    });
    const ref = await chat.post('C0WEB', view, { key, mayExistSince: since });
    expect(ref).toEqual({ channel: 'C0WEB', ts: old.ts });
    expect(posts()).toHaveLength(1);
  });

  it('gives up rate-limited saying the message may exist when a try before it timed out', async () => {
    const once = createSlackClient({
      token: slack.config.botToken,
      apiUrl,
      timeoutMs: TIMEOUT_MS,
      retryConfig: { retries: 1, factor: 1, minTimeout: 20, maxTimeout: 20, randomize: false },
    });
    slack.faults.delay('chat.postMessage', TIMEOUT_MS * 3);
    slack.faults.next('conversations.history', { status: 429, retryAfterSec: 1, times: 2 });
    const before = Date.now();
    const failed = await once.post('C0WEB', view, { key }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(PostOutcomeUnknownError);
    const since = (failed as PostOutcomeUnknownError).since.getTime();
    expect(since).toBeGreaterThanOrEqual(before);
    expect(since).toBeLessThanOrEqual(slack.calls('chat.postMessage')[0]?.at ?? 0);
  });

  it('retries a rate limit without looking: Slack refused it, nothing was posted', async () => {
    slack.faults.next('chat.postMessage', { status: 429, retryAfterSec: 1 });
    await chat.post('C0WEB', view, { key });
    expect(posts()).toHaveLength(1);
    expect(slack.calls('conversations.history')).toHaveLength(0);
  });

  it('tells a rate limit as information and a call of unknown outcome as a warning', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const logged = createSlackClient({
      token: slack.config.botToken,
      apiUrl,
      timeoutMs: TIMEOUT_MS,
      retryConfig: { retries: 3, factor: 1, minTimeout: 20, maxTimeout: 20, randomize: false },
      log: createLogger(
        { level: 'info' },
        { write: (line: string) => lines.push(JSON.parse(line)) },
      ),
    });
    const said = () => lines.filter((l) => l.msg.startsWith('posting a chat message'));
    slack.faults.next('chat.postMessage', { status: 429, retryAfterSec: 1 });
    await logged.post('C0WEB', view, { key });
    expect(said().map((l) => [l.level, l.msg])).toEqual([
      [30, 'posting a chat message was rate-limited; trying again'],
    ]);
    lines.length = 0;
    slack.faults.delay('chat.postMessage', TIMEOUT_MS * 3);
    await logged.post('C0WEB', view, { key: { ...key, purpose: 'other' } });
    expect(said().map((l) => [l.level, l.msg])).toEqual([
      [40, 'posting a chat message failed; trying again'],
    ]);
  });
});
