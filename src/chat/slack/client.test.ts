import { getEventListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  NotFoundError,
  RetryableError,
  ShutdownError,
  ValidationError,
} from '../../core/errors.js';
import {
  type Answer,
  json,
  type ScriptedServer,
  type Seen,
  startScriptedServer,
} from '../test-support/scripted-server.js';
import type { ChatClient } from '../types.js';
import { createSlackClient, type SlackCall, slackClientFromEnv } from './client.js';

/** A Web API in the test, answering what it was not told to as Slack answers an unknown method. */
let server: ScriptedServer;
let base: string;
let seen: Seen[];

beforeEach(async () => {
  server = await startScriptedServer({
    unscripted: (res) => json(res, 200, { ok: false, error: 'unknown_method' }),
  });
  base = server.url;
  seen = server.seen;
});

afterEach(() => server.close());

/** Every Web API call and response_url answer is a POST. */
function answer(path: string, ...answers: Answer[]): void {
  server.on(`POST ${path}`, ...answers);
}

const posted = (res: ServerResponse) => json(res, 200, { ok: true, channel: 'C1', ts: '111.222' });
const view = {
  title: 'web 1.4.2 → staging: deploying',
  tone: 'progress' as const,
  body: 'ready 1 of 3',
};

function client(
  calls: SlackCall[] = [],
  extra: Partial<Parameters<typeof createSlackClient>[0]> = {},
): ChatClient {
  return createSlackClient({
    token: 'xoxb-test',
    apiUrl: `${base}/api`,
    retryConfig: { retries: 2, factor: 1, minTimeout: 20, maxTimeout: 20, randomize: false },
    timeoutMs: 2_000,
    respond: { baseDelayMs: 20 },
    onCall: (call) => calls.push(call),
    ...extra,
  });
}

describe('Slack client over @slack/web-api', () => {
  it('posts blocks with the bot token and honours a 429 Retry-After before trying again', async () => {
    answer(
      '/api/chat.postMessage',
      (res) => json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' }),
      posted,
    );
    const calls: SlackCall[] = [];
    const started = Date.now();
    expect(await client(calls).post('C1', view, { threadTs: '100.1' })).toEqual({
      channel: 'C1',
      ts: '111.222',
    });
    expect(seen).toHaveLength(2);
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen[1]?.headers.authorization).toBe('Bearer xoxb-test');
    const form = new URLSearchParams(seen[1]?.body);
    expect(form.get('channel')).toBe('C1');
    expect(form.get('thread_ts')).toBe('100.1');
    expect(form.get('text')).toBe('🚀 web 1.4.2 → staging: deploying');
    expect(JSON.parse(form.get('blocks') ?? '[]')[0]).toMatchObject({ type: 'header' });
    expect(calls).toEqual([{ method: 'chat.postMessage', ok: true, retriedAfterMs: 1000 }]);
  });

  it('retries a 5xx and succeeds', async () => {
    answer(
      '/api/chat.update',
      (res) => json(res, 503, { ok: false }),
      (res) => json(res, 200, { ok: true }),
    );
    await client().update({ channel: 'C1', ts: '1.1' }, view);
    expect(seen.map((s) => s.path)).toEqual(['/api/chat.update', '/api/chat.update']);
  });

  it('retries a timeout and succeeds', async () => {
    answer(
      '/api/chat.update',
      (res) => {
        setTimeout(() => json(res, 200, { ok: true }), 400);
      },
      (res) => json(res, 200, { ok: true }),
    );
    await client([], { timeoutMs: 100 }).update({ channel: 'C1', ts: '1.1' }, view);
    expect(seen).toHaveLength(2);
  });

  it('turns lasting 5xx into a RetryableError after the configured retries', async () => {
    answer(
      '/api/chat.postMessage',
      ...Array.from({ length: 3 }, () => (res: ServerResponse) => json(res, 500, {})),
    );
    const calls: SlackCall[] = [];
    await expect(client(calls).post('C1', view)).rejects.toBeInstanceOf(RetryableError);
    expect(seen).toHaveLength(3);
    expect(calls).toEqual([
      { method: 'chat.postMessage', ok: false, retriedAfterMs: 0, error: 'retryable' },
    ]);
  });

  it('holds every call after a 429 until Retry-After has passed, not only the one refused', async () => {
    answer(
      '/api/chat.update',
      (res) => json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' }),
      (res) => json(res, 200, { ok: true }),
      (res) => json(res, 200, { ok: true }),
    );
    const slack = client();
    const first = slack.update({ channel: 'C1', ts: '1.1' }, view);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all([first, slack.update({ channel: 'C1', ts: '2.2' }, view)]);
    expect(seen).toHaveLength(3);
    for (const later of seen.slice(1)) {
      expect(later.at - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    }
  });

  it('holds only the limit Slack named: another channel’s posts and other methods go on', async () => {
    const limited = (res: ServerResponse) =>
      json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
    answer('/api/chat.postMessage', limited, posted, posted, posted);
    answer('/api/chat.update', (res) => json(res, 200, { ok: true }));
    const slack = client();
    const first = slack.post('C1', view);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    const t0 = seen[0]?.at ?? 0;
    await Promise.all([slack.post('C2', view), slack.update({ channel: 'C1', ts: '1.1' }, view)]);
    // Neither waited out C1's Retry-After.
    expect(seen).toHaveLength(3);
    for (const other of seen.slice(1)) expect(other.at - t0).toBeLessThan(500);
    await first;
    expect(seen.at(-1)?.at ?? 0).toBeGreaterThanOrEqual(t0 + 950);
  });

  it('lets the calls held by a 429 go one at a time, not in a herd', async () => {
    const answeredAt: number[] = [];
    const slow = (res: ServerResponse) =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          answeredAt.push(Date.now());
          json(res, 200, { ok: true });
          resolve();
        }, 50),
      );
    answer(
      '/api/chat.update',
      (res) => json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' }),
      slow,
      slow,
      slow,
      slow,
    );
    const slack = client();
    const first = slack.update({ channel: 'C1', ts: '1.1' }, view);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    const held = [2, 3, 4].map((n) => slack.update({ channel: 'C1', ts: `${n}.${n}` }, view));
    await Promise.all([first, ...held]);
    expect(seen).toHaveLength(5);
    const after = seen.slice(1).map((s) => s.at);
    expect(after[0] ?? 0).toBeGreaterThanOrEqual((seen[0]?.at ?? 0) + 950);
    // Each was sent once the one before it had its answer.
    for (let i = 1; i < after.length; i++)
      expect(after[i] ?? 0).toBeGreaterThanOrEqual(answeredAt[i - 1] ?? Number.POSITIVE_INFINITY);

    // The line drained: calls go together again. Each answer waits for both to arrive, which
    // calls still going one at a time would never do.
    const together = (res: ServerResponse) =>
      vi.waitFor(() => expect(seen).toHaveLength(7)).then(() => json(res, 200, { ok: true }));
    answer('/api/chat.update', together, together);
    await Promise.all([
      slack.update({ channel: 'C1', ts: '5.5' }, view),
      slack.update({ channel: 'C1', ts: '6.6' }, view),
    ]);
  });

  it('gives up a Retry-After wait at once when the process stops, and sends nothing after', async () => {
    const limited = (res: ServerResponse) =>
      json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '30' });
    answer('/api/chat.update', limited, limited);
    const stop = new AbortController();
    const calls: SlackCall[] = [];
    const update = client(calls, { signal: stop.signal }).update(
      { channel: 'C1', ts: '1.1' },
      view,
    );
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    const stoppedAt = Date.now();
    stop.abort();
    await expect(update).rejects.toBeInstanceOf(ShutdownError);
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect(calls).toEqual([
      { method: 'chat.update', ok: false, retriedAfterMs: 30_000, error: 'shutting_down' },
    ]);
    // No call is made once stopped, not even a retry that was due.
    await expect(
      client([], { signal: stop.signal }).post('C1', view, { threadTs: '1.1' }),
    ).rejects.toBeInstanceOf(ShutdownError);
    expect(seen).toHaveLength(1);
  });

  it('leaves nothing behind on the process-long stop signal once a call is answered', async () => {
    answer(
      '/api/chat.update',
      ...Array.from({ length: 5 }, () => (res: ServerResponse) => json(res, 200, { ok: true })),
    );
    const stop = new AbortController();
    const slack = client([], { signal: stop.signal });
    for (let i = 0; i < 5; i++) await slack.update({ channel: 'C1', ts: '1.1' }, view);
    expect(seen).toHaveLength(5);
    expect(getEventListeners(stop.signal, 'abort')).toEqual([]);
  });

  it('abandons a call Slack has not answered yet when the process stops', async () => {
    answer('/api/chat.postMessage', () => {});
    const stop = new AbortController();
    const post = client([], { signal: stop.signal, timeoutMs: 60_000 }).post('C1', view);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    stop.abort();
    await expect(post).rejects.toBeInstanceOf(ShutdownError);
  });

  it('reports Slack refusals as coded errors that say what to do, without retrying', async () => {
    answer('/api/chat.postMessage', (res) =>
      json(res, 200, { ok: false, error: 'channel_not_found' }),
    );
    answer('/api/chat.postEphemeral', (res) =>
      json(res, 200, { ok: false, error: 'not_in_channel' }),
    );
    const c = client();
    const error = await c.post('C404', view).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toMatch(/channel_not_found; check the channel id/);
    await expect(c.postEphemeral('C1', 'U1', view)).rejects.toThrow(/invite the Slipway app/);
    expect(seen).toHaveLength(2);
  });

  it('refuses an answer it cannot read', async () => {
    answer('/api/chat.postMessage', (res) => json(res, 200, { ok: true, channel: 'C1' }));
    await expect(client().post('C1', view)).rejects.toBeInstanceOf(ValidationError);
  });

  it('opens a direct message channel once per user', async () => {
    answer('/api/conversations.open', (res) => json(res, 200, { ok: true, channel: { id: 'D1' } }));
    const c = client();
    expect(await c.openDirect('U1')).toBe('D1');
    expect(await c.openDirect('U1')).toBe('D1');
    expect(seen).toHaveLength(1);
    expect(new URLSearchParams(seen[0]?.body).get('users')).toBe('U1');
  });

  it('opens a modal with the click’s trigger once: a trigger outlives no retry', async () => {
    const modal = {
      actionId: 'review_reject',
      value: 'd-1',
      origin: { channel: 'D1', ts: '1.000001' },
      title: 'Reject this build',
      submit: 'Reject',
      cancel: 'Cancel',
      inputs: [{ id: 'reason', label: 'Why is it rejected?', multiline: true }],
    };
    answer(
      '/api/views.open',
      (res) => json(res, 200, { ok: true, view: { id: 'V1' } }),
      (res) => json(res, 503, { ok: false, error: 'service_unavailable' }),
      (res) => json(res, 200, { ok: false, error: 'expired_trigger_id' }),
    );
    const calls: SlackCall[] = [];
    const c = client(calls);
    await c.openModal?.('1.2.abc', modal);
    const sent = new URLSearchParams(seen[0]?.body);
    expect(sent.get('trigger_id')).toBe('1.2.abc');
    expect(JSON.parse(sent.get('view') ?? '{}')).toMatchObject({
      type: 'modal',
      callback_id: 'review_reject',
      blocks: [{ type: 'input', block_id: 'reason' }],
    });
    await expect(c.openModal?.('1.2.abd', modal)).rejects.toBeInstanceOf(RetryableError);
    await expect(c.openModal?.('1.2.abe', modal)).rejects.toThrow(/expired_trigger_id/);
    expect(seen).toHaveLength(3);
    expect(calls.map((call) => [call.method, call.ok])).toEqual([
      ['views.open', true],
      ['views.open', false],
      ['views.open', false],
    ]);
  });

  it('names a person without a display name by their full name, else their username', async () => {
    const person =
      (profile: object, rest: object = {}) =>
      (res: ServerResponse) =>
        json(res, 200, { ok: true, user: { id: 'U1', name: 'ana.lima', ...rest, profile } });
    answer(
      '/api/users.info',
      person({ display_name: '', real_name: 'Ana Lima' }),
      person({ display_name: ' ' }, { real_name: 'Ana B. Lima' }),
      person({}),
    );
    const c = client();
    expect(await c.userName?.('U1')).toBe('Ana Lima');
    expect(await c.userName?.('U1')).toBe('Ana B. Lima');
    expect(await c.userName?.('U1')).toBe('ana.lima');
  });
});

describe('answering through a response_url', () => {
  it('posts JSON and retries a 5xx', async () => {
    answer(
      '/respond/1',
      (res) => json(res, 502, {}),
      (res) => {
        res.writeHead(200);
        res.end('ok');
      },
    );
    const calls: SlackCall[] = [];
    await client(calls).respond(`${base}/respond/1`, view, { ephemeral: true });
    expect(seen).toHaveLength(2);
    expect(seen[1]?.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(seen[1]?.body ?? '{}')).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: '🚀 web 1.4.2 → staging: deploying',
    });
    expect(calls).toEqual([{ method: 'response_url', ok: true, retriedAfterMs: 0 }]);
  });

  it('waits out a 429 and says when the URL has expired', async () => {
    answer(
      '/respond/2',
      (res) => json(res, 429, {}, { 'retry-after': '0' }),
      (res) => json(res, 200, { ok: true }),
    );
    await client().respond(`${base}/respond/2`, view, { ephemeral: false, replaceOriginal: true });
    expect(JSON.parse(seen[1]?.body ?? '{}')).toMatchObject({
      response_type: 'in_channel',
      replace_original: true,
    });
    answer('/respond/3', (res) => json(res, 404, { ok: false, error: 'expired_url' }));
    await expect(
      client().respond(`${base}/respond/3`, view, { ephemeral: true }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('keeps the connection for the next answer and gives up on one that never comes', async () => {
    const ok = (res: ServerResponse) => {
      res.writeHead(200);
      res.end('ok');
    };
    answer('/respond/5', ok, ok, ok);
    const c = client();
    for (let i = 0; i < 3; i++) await c.respond(`${base}/respond/5`, view, { ephemeral: true });
    expect(seen.map((s) => s.port)).toEqual([seen[0]?.port, seen[0]?.port, seen[0]?.port]);

    answer(
      '/respond/6',
      () => {},
      () => {},
    );
    const impatient = client([], { respond: { baseDelayMs: 10, attempts: 2, timeoutMs: 100 } });
    await expect(impatient.respond(`${base}/respond/6`, view, { ephemeral: true })).rejects.toThrow(
      /after 2 attempts: no answer within 100 ms/,
    );
    expect(seen.filter((s) => s.path === '/respond/6')).toHaveLength(2);
  });

  it('sends nothing to a URL that is not Slack’s when talking to the real Slack', async () => {
    const real = createSlackClient({ token: 'xoxb-test' });
    await expect(
      real.respond(`${base}/respond/4`, view, { ephemeral: true }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(seen).toHaveLength(0);
  });
});

describe('slackClientFromEnv', () => {
  it('says how to fix a missing token or a bad URL', () => {
    expect(() => slackClientFromEnv({})).toThrow(ConfigError);
    expect(() => slackClientFromEnv({})).toThrow(
      /SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token/,
    );
    expect(() =>
      slackClientFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_API_URL: 'ftp://x' }),
    ).toThrow(/SLACK_API_URL/);
  });

  it('talks to SLACK_API_URL', async () => {
    answer('/other/api/chat.postMessage', posted);
    const c = slackClientFromEnv({
      SLACK_BOT_TOKEN: 'xoxb-env',
      SLACK_API_URL: `${base}/other/api/`,
    });
    await c.post('C1', view);
    expect(seen[0]?.headers.authorization).toBe('Bearer xoxb-env');
  });
});
