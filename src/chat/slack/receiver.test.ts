import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type DurableDedupe, durableDedupe } from '../../core/dedupe.js';
import { createLogger } from '../../core/logger.js';
import type { Route } from '../../http/router.js';
import { createStore } from '../../store/index.js';
import { createHandlingQueue } from '../handling-queue.js';
import { createInbound } from '../inbound.js';
import { createRecordingChat } from '../test-support/recording-chat.js';
import type { InboundEvent } from '../types.js';
import { encodeModalMetadata } from './modal-metadata.js';
import { slackEventsRoute, slackEventsUnconfigured } from './receiver.js';

const SECRET = 'test-signing-secret';
let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

/**
 * The route in front of the real admission (inbound.ts), with a handler that records what it
 * was handed and answers as the real one does: a form's blank reason keeps it open, and with
 * `answering` a command is answered privately after `afterMs`.
 */
async function start(
  busy?: () => boolean,
  answering?: { withinMs: number; afterMs: number },
  durable?: DurableDedupe,
) {
  const events: InboundEvent[] = [];
  const chat = createRecordingChat();
  const queue = createHandlingQueue();
  const inbound = createInbound({
    chat: chat.client,
    queue: busy ? { ...queue, full: busy } : queue,
    async handle(event, context) {
      events.push(event);
      if (event.kind === 'submission') {
        if (!event.fields.reason?.trim()) context.form?.refuse({ reason: 'Say why' });
        else context.form?.close();
        return;
      }
      if (answering && event.responseUrl) {
        const url = event.responseUrl;
        await new Promise((resolve) => setTimeout(resolve, answering.afterMs));
        await context.chat.respond(url, { title: 'hi', tone: 'neutral' }, { ephemeral: true });
      }
    },
    answerWithinMs: answering?.withinMs ?? 0,
    ...(durable ? { durable } : {}),
    log: createLogger({ level: 'silent' }),
  });
  const route = slackEventsRoute({
    signingSecret: SECRET,
    admission: inbound,
    log: createLogger({ level: 'silent' }),
  });
  return { url: await serve(route), events, chat, inbound };
}

/** Serves one route on a free port; the URL it answers at. */
async function serve(route: Route): Promise<string> {
  server?.close();
  server = createServer(
    (req, res) => void route.handler(req, res, {}, new URL(req.url ?? '/', 'http://x')),
  );
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://127.0.0.1:${port}/slack/events`;
}

function sign(body: string, timestamp = Math.floor(Date.now() / 1000), secret = SECRET) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) };
}

function slashBody(text: string, trigger = 'T-1') {
  return new URLSearchParams({
    command: '/deploy',
    text,
    user_id: 'U1',
    channel_id: 'C1',
    response_url: 'http://127.0.0.1:9/response/1',
    trigger_id: trigger,
    team_id: 'T0',
  }).toString();
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  type = 'application/x-www-form-urlencoded',
) {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': type, ...headers },
  });
  return { status: res.status, text: await res.text() };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('Slack HTTP transport', () => {
  it('acknowledges a signed slash command and hands over the normalized command', async () => {
    const { url, events } = await start();
    const body = slashBody('web 1.4.2 to staging');
    const res = await post(url, body, sign(body));
    expect(res).toEqual({ status: 200, text: '' });
    await settle();
    expect(events).toEqual([
      {
        kind: 'command',
        mode: 'slash',
        text: 'web 1.4.2 to staging',
        user: 'U1',
        channel: 'C1',
        threadTs: null,
        responseUrl: 'http://127.0.0.1:9/response/1',
        deliveryId: 'slack:trigger:T-1',
      },
    ]);
  });

  it('refuses a forged signature and a stale timestamp with 401, doing nothing', async () => {
    const { url, events } = await start();
    const body = slashBody('web 1 to staging');
    const forged = await post(url, body, sign(body, undefined, 'not-the-secret'));
    expect(forged.status).toBe(401);
    const stale = await post(url, body, sign(body, Math.floor(Date.now() / 1000) - 6 * 60));
    expect(stale.status).toBe(401);
    const tampered = await post(url, body.replace('staging', 'production'), sign(body));
    expect(tampered.status).toBe(401);
    const unsigned = await post(url, body, {});
    expect(unsigned.status).toBe(401);
    await settle();
    expect(events).toEqual([]);
  });

  it('answers the url_verification challenge', async () => {
    const { url } = await start();
    const body = JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' });
    const res = await post(url, body, sign(body), 'application/json');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ challenge: 'abc123' });
  });

  it('acts once on an Events API delivery that Slack retries', async () => {
    const { url, events } = await start();
    const body = JSON.stringify({
      type: 'event_callback',
      event_id: 'Ev1',
      event: {
        type: 'app_mention',
        user: 'U2',
        channel: 'C1',
        text: '<@UBOT> deploy web 1 to staging',
        ts: '1.000001',
      },
    });
    expect((await post(url, body, sign(body), 'application/json')).status).toBe(200);
    const retry = await post(
      url,
      body,
      { ...sign(body), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
      'application/json',
    );
    expect(retry.status).toBe(200);
    await settle();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'command',
      mode: 'mention',
      user: 'U2',
      deliveryId: 'slack:event:Ev1',
    });
  });

  it('normalizes a button click and ignores the same delivery twice', async () => {
    const { url, events } = await start();
    const payload = {
      type: 'block_actions',
      user: { id: 'U3' },
      channel: { id: 'D3' },
      message: { ts: '2.000002' },
      response_url: 'http://127.0.0.1:9/response/2',
      trigger_id: 'T-9',
      actions: [{ action_id: 'approve', value: 'd-123', action_ts: '3.3' }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    await post(url, body, sign(body));
    await post(url, body, sign(body));
    await settle();
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'action',
        actionId: 'approve',
        value: 'd-123',
        user: 'U3',
        channel: 'D3',
        messageTs: '2.000002',
        triggerId: 'T-9',
      }),
    ]);
  });

  it('normalizes a modal submission; its acknowledgement keeps it open with errors or closes it', async () => {
    const { url, events } = await start();
    const submission = (reason: string | null, trigger: string) => {
      const payload = {
        type: 'view_submission',
        team: { id: 'T0' },
        user: { id: 'U3', name: 'qa' },
        api_app_id: 'A0',
        trigger_id: trigger,
        view: {
          id: 'V1',
          callback_id: 'review_reject',
          private_metadata: encodeModalMetadata('d-123', { channel: 'D3', ts: '2.000002' }),
          state: { values: { reason: { reason: { type: 'plain_text_input', value: reason } } } },
        },
      };
      return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    };
    const blank = submission('   ', 'T-5');
    const kept = await post(url, blank, sign(blank));
    expect(kept.status).toBe(200);
    expect(JSON.parse(kept.text)).toEqual({
      response_action: 'errors',
      errors: { reason: 'Say why' },
    });
    const given = submission('login is broken', 'T-6');
    expect(await post(url, given, sign(given))).toEqual({ status: 200, text: '' });
    await settle();
    expect(events).toEqual([
      {
        kind: 'submission',
        actionId: 'review_reject',
        value: 'd-123',
        fields: { reason: '   ' },
        user: 'U3',
        channel: 'D3',
        messageTs: '2.000002',
        responseUrl: null,
        deliveryId: 'slack:submission:V1:T-5',
      },
      expect.objectContaining({
        fields: { reason: 'login is broken' },
        deliveryId: 'slack:submission:V1:T-6',
      }),
    ]);
    // An input left empty arrives as null; a form Slipway did not open is refused.
    const empty = submission(null, 'T-7');
    await post(url, empty, sign(empty));
    await settle();
    expect(events.at(-1)).toMatchObject({ fields: { reason: '' } });
    const foreign = {
      type: 'view_submission',
      user: { id: 'U3' },
      trigger_id: 'T-8',
      view: { id: 'V2', callback_id: 'x', private_metadata: 'not ours', state: { values: {} } },
    };
    const tampered = new URLSearchParams({ payload: JSON.stringify(foreign) }).toString();
    const refused = await post(url, tampered, sign(tampered));
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('did not open');
  });

  it('answers a signed command replayed after a restart as a repeat, doing nothing', async () => {
    const store = createStore(':memory:');
    await store.migrate();
    try {
      const body = slashBody('lock staging api', 'T-replay');
      const headers = sign(body);
      const before = await start(undefined, undefined, durableDedupe(store));
      expect((await post(before.url, body, headers)).status).toBe(200);
      await settle();
      expect(before.events).toHaveLength(1);
      server?.close();
      // A new process: its in-memory dedupe is empty, the store is the one it had.
      const after = await start(undefined, undefined, durableDedupe(store));
      expect(await post(after.url, body, headers)).toEqual({ status: 200, text: '' });
      await settle();
      expect(after.events).toEqual([]);
      const other = slashBody('unlock staging api', 'T-other');
      await post(after.url, other, sign(other));
      await settle();
      expect(after.events).toEqual([
        expect.objectContaining({ deliveryId: 'slack:trigger:T-other' }),
      ]);
    } finally {
      await store.close();
    }
  });

  it('answers a slash command replay at once even while its answer window is open', async () => {
    const store = createStore(':memory:');
    await store.migrate();
    try {
      const body = slashBody('lock staging api', 'T-window');
      await store.markDelivered('slack:trigger:T-window', new Date(Date.now() + 60_000));
      const { url, events } = await start(
        undefined,
        { withinMs: 2_000, afterMs: 0 },
        durableDedupe(store),
      );
      const started = Date.now();
      expect(await post(url, body, sign(body))).toEqual({ status: 200, text: '' });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(events).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('refuses a command in its acknowledgement when busy, and takes it when sent again', async () => {
    let busy = true;
    const { url, events } = await start(() => busy);
    const body = slashBody('web 1.4.2 to staging', 'T-busy');
    const refused = await post(url, body, sign(body));
    expect(refused.status).toBe(200);
    expect(JSON.parse(refused.text)).toEqual({
      response_type: 'ephemeral',
      text: expect.stringMatching(
        /^Slipway is busy: .*Nothing was done with `web 1\.4\.2 to staging`/,
      ),
    });
    await settle();
    expect(events).toEqual([]);
    busy = false;
    expect(await post(url, body, sign(body))).toEqual({ status: 200, text: '' });
    await settle();
    expect(events).toEqual([expect.objectContaining({ deliveryId: 'slack:trigger:T-busy' })]);
  });

  it('carries the answer in the acknowledgement, also one that comes after the window from a handler already running', async () => {
    const one = await start(undefined, { withinMs: 200, afterMs: 10 });
    const body = slashBody('web', 'T-quick');
    const answered = await post(one.url, body, sign(body));
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text)).toMatchObject({
      text: 'hi',
      response_type: 'ephemeral',
      replace_original: false,
    });
    await settle();
    expect(one.chat.calls).toEqual([]);
    server?.close();

    // The handler started within the window: its answer says what was done, so the
    // acknowledgement waits for it (up to Slack's deadline less the way back).
    const two = await start(undefined, { withinMs: 20, afterMs: 300 });
    const late = await post(two.url, body, sign(body));
    expect(late.status).toBe(200);
    expect(JSON.parse(late.text)).toMatchObject({ text: 'hi', response_type: 'ephemeral' });
    await two.inbound.settle();
    expect(two.chat.calls).toEqual([]);
  });

  it('answers a malformed payload with 400 and the reason', async () => {
    const { url, events } = await start();
    const body = new URLSearchParams({ command: '/deploy', text: 'x' }).toString();
    const res = await post(url, body, sign(body));
    expect(res.status).toBe(400);
    expect(res.text).toContain('slash command');
    expect(events).toEqual([]);
  });
});

describe('Slack HTTP transport without a signing secret', () => {
  it('answers 503 not_configured, saying what to set, or that Slack comes over Socket Mode', async () => {
    const body = slashBody('web 1.4.2 to staging');
    const off = await post(await serve(slackEventsUnconfigured()), body, sign(body));
    expect(off.status).toBe(503);
    expect(JSON.parse(off.text)).toEqual({
      error: 'not_configured',
      message: expect.stringContaining('set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET'),
    });
    const socket = await post(
      await serve(slackEventsUnconfigured({ socket: true })),
      body,
      sign(body),
    );
    expect(socket.status).toBe(503);
    expect(JSON.parse(socket.text)).toEqual({
      error: 'not_configured',
      message: expect.stringContaining('over Socket Mode (SLACK_APP_TOKEN)'),
    });
  });
});
