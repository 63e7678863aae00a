import { App, LogLevel } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLocalSlack, type LocalSlack } from './index.js';

let slack: LocalSlack;
let client: SocketModeClient | undefined;

beforeEach(async () => {
  slack = createLocalSlack({
    channels: [{ id: 'C0DEPLOYS', name: 'deploys' }],
    users: [{ id: 'U0ALICE', name: 'alice' }],
    delivery: { mode: 'socket' },
    // Long enough for a loaded machine to ack; the redelivery test waits it out once.
    ackTimeoutMs: 1_000,
    eventRetryDelaysMs: [0, 50, 50],
  });
  await slack.start();
});
afterEach(async () => {
  await client?.disconnect();
  client = undefined;
  await slack.stop();
});

function connect(): SocketModeClient {
  client = new SocketModeClient({
    appToken: slack.config.appToken,
    clientOptions: { slackApiUrl: slack.apiUrl },
    logLevel: LogLevel.ERROR,
    // Reconnects wait clientPingTimeout × failures; keep it short for the test.
    clientPingTimeout: 300,
  });
  return client;
}

const until = async (check: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('Socket Mode with @slack/socket-mode', () => {
  it('says hello, delivers a slash command envelope and takes its ack', async () => {
    const c = connect();
    const frames: Array<Record<string, unknown>> = [];
    c.on('ws_message', (data: unknown) => frames.push(JSON.parse(String(data))));
    const bodies: Array<Record<string, unknown>> = [];
    c.on('slash_commands', async ({ ack, body }) => {
      bodies.push(body);
      await ack({ text: 'Got it: deploy web' });
    });
    await c.start();
    expect(frames[0]).toMatchObject({
      type: 'hello',
      num_connections: 1,
      connection_info: { app_id: slack.config.appId },
    });
    const r = await slack.slashCommand({ user: 'U0ALICE', channel: 'C0DEPLOYS', text: 'web' });
    expect(r).toMatchObject({
      mode: 'socket',
      timedOut: false,
      ack: { text: 'Got it: deploy web' },
    });
    expect(frames[1]).toMatchObject({
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: { command: '/deploy', text: 'web', user_id: 'U0ALICE', response_url: r.responseUrl },
    });
    expect(bodies).toHaveLength(1);
    expect(slack.ephemerals('U0ALICE').map((e) => e.text)).toEqual(['Got it: deploy web']);
    await expect(
      slack.mention({ user: 'U0ALICE', channel: 'C0DEPLOYS', text: 'x', forge: 'stale' }),
    ).rejects.toThrow(/HTTP delivery only/);
    expect(slack.history('C0DEPLOYS')).toEqual([]);
  });

  it('redelivers an events_api envelope that was not acked, with retry_attempt', async () => {
    const c = connect();
    const seen: Array<[unknown, unknown, unknown]> = [];
    c.on('app_mention', async ({ ack, body, retry_num, retry_reason }) => {
      seen.push([body.event_id, retry_num, retry_reason]);
      if (seen.length > 1) await ack();
    });
    await c.start();
    const r = await slack.mention({ user: 'U0ALICE', channel: 'C0DEPLOYS', text: 'status' });
    expect(r.timedOut).toBe(true);
    await until(() => seen.length === 2);
    await new Promise((res) => setTimeout(res, 200));
    expect(seen).toEqual([
      [r.eventId, 0, ''],
      [r.eventId, 1, 'timeout'],
    ]);
    expect(slack.timeouts().events_api).toBe(1);
  });

  it('asks the client to refresh, and it reconnects with a new URL', async () => {
    const c = connect();
    let connects = 0;
    c.on('connected', () => {
      connects += 1;
    });
    c.on('slash_commands', ({ ack }) => ack());
    await c.start();
    expect(slack.socket.connections()).toBe(1);
    slack.socket.disconnect();
    await until(() => connects === 2);
    expect(slack.calls('apps.connections.open').map((x) => x.ok)).toEqual([true, true]);
    await slack.socket.waitForConnection();
    const r = await slack.slashCommand({ user: 'U0ALICE', channel: 'C0DEPLOYS' });
    expect(r).toMatchObject({ timedOut: false, ack: {} });
  });

  it('refuses a ticket that was already used', async () => {
    const open = await fetch(`${slack.apiUrl}apps.connections.open`, {
      method: 'POST',
      headers: { authorization: `Bearer ${slack.config.appToken}` },
    }).then((x) => x.json());
    expect(open.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket\/[0-9a-f]+$/);
    const first = new WebSocket(open.url);
    const hello = await new Promise<string>((res) => first.once('message', (d) => res(String(d))));
    expect(JSON.parse(hello).type).toBe('hello');
    const second = new WebSocket(open.url);
    const refused = await new Promise<Error>((res) => second.once('error', res));
    expect(refused.message).toMatch(/401/);
    first.close();
  });
});

describe('a Bolt app in Socket Mode', () => {
  it('acks a slash command and answers through the response_url', async () => {
    const app = new App({
      token: slack.config.botToken,
      appToken: slack.config.appToken,
      socketMode: true,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl },
      // Bolt hands the Socket Mode client only installerOptions.clientOptions.
      installerOptions: { clientOptions: { slackApiUrl: slack.apiUrl } },
    });
    app.command('/deploy', async ({ ack, respond, command }) => {
      await ack();
      await respond({ text: `Deploying ${command.text}` });
    });
    await app.start();
    try {
      const r = await slack.slashCommand({ user: 'U0ALICE', channel: 'C0DEPLOYS', text: 'web' });
      expect(r.timedOut).toBe(false);
      await until(() => slack.ephemerals('U0ALICE').length === 1);
      expect(slack.ephemerals('U0ALICE')[0]?.text).toBe('Deploying web');
    } finally {
      await app.stop();
    }
  });
});
