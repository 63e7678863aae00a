import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalSlack, type LocalSlack } from './index.js';

const CHANNELS = [
  { id: 'C0DEPLOYS', name: 'deploys' },
  { id: 'C0PRIVATE', name: 'private', members: ['U0ALICE'] },
];
const USERS = [
  { id: 'U0ALICE', name: 'alice', isAdmin: true },
  { id: 'U0BOB', name: 'bob' },
];

let slack: LocalSlack;
let client: WebClient;

beforeEach(async () => {
  slack = createLocalSlack({ channels: CHANNELS, users: USERS });
  const { apiUrl } = await slack.start();
  client = new WebClient(slack.config.botToken, { slackApiUrl: apiUrl, logLevel: LogLevel.ERROR });
});
afterEach(() => slack.stop());

/** The Slack error code a WebClient call failed with. */
async function slackError(call: Promise<unknown>): Promise<{ code: string; error: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code: string; data?: { error: string } };
    return { code: e.code, error: e.data?.error ?? '' };
  }
  throw new Error('expected the call to fail');
}

describe('the Web API through @slack/web-api', () => {
  it('answers auth.test with the bot user, team and url', async () => {
    const r = await client.auth.test();
    expect(r).toMatchObject({
      ok: true,
      user_id: slack.config.botUserId,
      team_id: slack.config.teamId,
      bot_id: slack.config.botId,
      url: `${slack.url}/`,
    });
  });

  it('posts, threads and updates a message, keeping its history', async () => {
    const posted = await client.chat.postMessage({ channel: 'C0DEPLOYS', text: 'deploying web' });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(posted.message).toMatchObject({ text: 'deploying web', user: slack.config.botUserId });
    const reply = await client.chat.postMessage({
      channel: 'C0DEPLOYS',
      thread_ts: posted.ts as string,
      text: 'log line',
    });
    expect(Number(reply.ts)).toBeGreaterThan(Number(posted.ts));
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*done*' } }];
    await client.chat.update({
      channel: 'C0DEPLOYS',
      ts: posted.ts as string,
      text: 'done',
      blocks,
    });

    expect(slack.history('#deploys').map((m) => m.text)).toEqual(['done']);
    expect(slack.thread('C0DEPLOYS', posted.ts as string).map((m) => m.text)).toEqual([
      'done',
      'log line',
    ]);
    const m = slack.message('C0DEPLOYS', posted.ts as string);
    expect(m?.blocks).toEqual(blocks);
    expect(m?.history.map((h) => h.text)).toEqual(['deploying web']);
    expect(m?.threadTs).toBe(posted.ts);
    expect(slack.calls('chat.update').map((c) => [c.channel, c.ts])).toEqual([
      ['C0DEPLOYS', posted.ts],
    ]);
  });

  it('drops old blocks when chat.update sends text alone', async () => {
    const blocks = [{ type: 'divider' }];
    const p = await client.chat.postMessage({ channel: 'C0DEPLOYS', text: 'a', blocks });
    await client.chat.update({ channel: 'C0DEPLOYS', ts: p.ts as string, text: 'b' });
    expect(slack.message('C0DEPLOYS', p.ts as string)?.blocks).toBeUndefined();
  });

  it('opens a stable DM per user and posts into it', async () => {
    const first = await client.conversations.open({ users: 'U0ALICE' });
    const again = await client.conversations.open({ users: 'U0ALICE' });
    expect(first.channel?.id).toMatch(/^D/);
    expect(again).toMatchObject({ channel: { id: first.channel?.id }, already_open: true });
    await client.chat.postMessage({ channel: first.channel?.id as string, text: 'approve?' });
    expect(slack.dmChannel('U0ALICE')).toBe(first.channel?.id);
    expect(slack.dms()).toEqual([{ user: 'U0ALICE', channel: first.channel?.id }]);
    expect(slack.history(first.channel?.id as string)[0]?.text).toBe('approve?');
  });

  it('records ephemerals per user and channel', async () => {
    const r = await client.chat.postEphemeral({
      channel: 'C0DEPLOYS',
      user: 'U0BOB',
      text: 'only you',
    });
    expect(r.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(slack.ephemerals('U0BOB', 'C0DEPLOYS').map((e) => e.text)).toEqual(['only you']);
    expect(slack.ephemerals('U0ALICE')).toEqual([]);
    expect(slack.history('C0DEPLOYS')).toEqual([]);
  });

  it('answers users.info and chat.getPermalink', async () => {
    const u = await client.users.info({ user: 'U0ALICE' });
    expect(u.user).toMatchObject({ id: 'U0ALICE', name: 'alice', is_admin: true, is_bot: false });
    const p = await client.chat.postMessage({ channel: 'C0DEPLOYS', text: 'x' });
    const link = await client.chat.getPermalink({
      channel: 'C0DEPLOYS',
      message_ts: p.ts as string,
    });
    expect(link.permalink).toBe(
      `${slack.url}/archives/C0DEPLOYS/p${(p.ts as string).replace('.', '')}`,
    );
  });

  it('rejects what Slack rejects, with HTTP 200 and ok:false', async () => {
    const post = (args: Record<string, unknown>) =>
      slackError(client.chat.postMessage(args as never));
    expect(await post({ channel: 'C0NOPE', text: 'x' })).toEqual({
      code: ErrorCode.PlatformError,
      error: 'channel_not_found',
    });
    expect((await post({ channel: 'C0DEPLOYS' })).error).toBe('no_text');
    expect((await post({ channel: 'C0DEPLOYS', text: 'x'.repeat(40_001) })).error).toBe(
      'msg_too_long',
    );
    expect((await post({ channel: 'C0DEPLOYS', blocks: '{not json' })).error).toBe(
      'invalid_blocks_format',
    );
    const update = (ts: string) =>
      slackError(client.chat.update({ channel: 'C0DEPLOYS', ts, text: 'y' }));
    expect((await update('1.000001')).error).toBe('message_not_found');
    const eph = (user: string, channel: string) =>
      slackError(client.chat.postEphemeral({ channel, user, text: 'x' }));
    expect((await eph('U0NOBODY', 'C0DEPLOYS')).error).toBe('user_not_found');
    expect((await eph('U0BOB', 'C0PRIVATE')).error).toBe('user_not_in_channel');
    expect((await slackError(client.users.info({ user: 'U0NOBODY' }))).error).toBe(
      'user_not_found',
    );
    expect((await slackError(client.apiCall('conversations.open', {}))).error).toBe(
      'users_list_not_supplied',
    );
    expect((await slackError(client.apiCall('chat.explode'))).error).toBe('unknown_method');
  });

  it('refuses to update a message the bot did not write', async () => {
    slack.setDelivery({ mode: 'socket' });
    const sent = await slack.mention({ user: 'U0BOB', channel: 'C0DEPLOYS', text: 'hi' });
    expect(sent.error).toBe('no_connection');
    const r = await slackError(
      client.chat.update({ channel: 'C0DEPLOYS', ts: sent.ts, text: 'x' }),
    );
    expect(r.error).toBe('cant_update_message');
  });

  it('authenticates by header or form field, and never from a JSON body', async () => {
    const call = (init: RequestInit) =>
      fetch(`${slack.apiUrl}auth.test`, { method: 'POST', ...init }).then((r) => r.json());
    expect(await call({})).toMatchObject({ ok: false, error: 'not_authed' });
    expect(await call({ headers: { authorization: 'Bearer xoxb-wrong' } })).toMatchObject({
      error: 'invalid_auth',
    });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const token = slack.config.botToken;
    expect(await call({ headers: form, body: `token=${token}` })).toMatchObject({ ok: true });
    const json = { 'content-type': 'application/json' };
    expect(await call({ headers: json, body: JSON.stringify({ token }) })).toMatchObject({
      error: 'not_authed',
    });
    const app = new WebClient(slack.config.appToken, { slackApiUrl: slack.apiUrl });
    expect(
      (await slackError(app.chat.postMessage({ channel: 'C0DEPLOYS', text: 'x' }))).error,
    ).toBe('not_allowed_token_type');
    expect((await slackError(client.apps.connections.open())).error).toBe('not_allowed_token_type');
  });

  it('accepts JSON bodies and answers invalid_arguments for wrong types', async () => {
    const post = (body: unknown) =>
      fetch(`${slack.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${slack.config.botToken}`,
          'content-type': 'application/json; charset=utf-8',
        },
        body: JSON.stringify(body),
      }).then((r) => r.json());
    const blocks = [{ type: 'header', text: { type: 'plain_text', text: 'Deploy' } }];
    expect(await post({ channel: 'C0DEPLOYS', blocks })).toMatchObject({ ok: true });
    const bad = await post({ channel: 'C0DEPLOYS', text: { not: 'a string' } });
    expect(bad).toMatchObject({ ok: false, error: 'invalid_arguments' });
    expect(bad.response_metadata.messages[0]).toContain('[json-pointer:/text]');
  });

  it('answers missing_scope when scopes are configured and one is missing', async () => {
    const scoped = createLocalSlack({ channels: CHANNELS, users: USERS, scopes: ['chat:write'] });
    const { apiUrl } = await scoped.start();
    try {
      const c = new WebClient(scoped.config.botToken, {
        slackApiUrl: apiUrl,
        logLevel: LogLevel.ERROR,
      });
      await expect(c.chat.postMessage({ channel: 'C0DEPLOYS', text: 'x' })).resolves.toMatchObject({
        ok: true,
      });
      const err = (await c.users.info({ user: 'U0BOB' }).catch((e) => e)) as { data: unknown };
      expect(err.data).toMatchObject({ error: 'missing_scope', needed: 'users:read' });
    } finally {
      await scoped.stop();
    }
  });

  it('counts every call, including rejected ones', async () => {
    await client.auth.test();
    await client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }).catch(() => undefined);
    expect(slack.calls().map((c) => [c.method, c.ok, c.error])).toEqual([
      ['auth.test', true, undefined],
      ['chat.postMessage', false, 'channel_not_found'],
    ]);
    expect(slack.callCounts()).toEqual({ 'auth.test': 1, 'chat.postMessage': 1 });
  });
});

describe('message metadata and conversations.history', () => {
  const metadata = { event_type: 'slipway_message', event_payload: { deployment_id: 'd-1' } };

  it('keeps chat.postMessage metadata and returns it from history only when asked', async () => {
    const first = await client.chat.postMessage({ channel: 'C0DEPLOYS', text: 'one', metadata });
    await client.chat.postMessage({ channel: 'C0DEPLOYS', text: 'two' });
    await client.chat.postMessage({ channel: 'C0DEPLOYS', thread_ts: first.ts, text: 'reply' });

    const plain = await client.conversations.history({ channel: 'C0DEPLOYS' });
    expect(plain.messages?.map((m) => m.text)).toEqual(['two', 'one']);
    expect(plain.messages?.some((m) => 'metadata' in m)).toBe(false);

    const withMeta = await client.conversations.history({
      channel: 'C0DEPLOYS',
      include_all_metadata: true,
    });
    expect(withMeta.messages?.[1]).toMatchObject({ text: 'one', ts: first.ts, metadata });
    expect(withMeta.messages?.[0]).not.toHaveProperty('metadata');
  });

  it('refuses malformed metadata as Slack does', async () => {
    const form = (metadata: string) =>
      fetch(`${slack.url}/api/chat.postMessage`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${slack.config.botToken}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ channel: 'C0DEPLOYS', text: 'x', metadata }),
      }).then((r) => r.json());
    expect(await form('{not json')).toMatchObject({ ok: false, error: 'invalid_metadata_format' });
    expect(await form('{"event_type":"x"}')).toMatchObject({
      ok: false,
      error: 'invalid_metadata_schema',
    });
    expect(await form(JSON.stringify(metadata))).toMatchObject({ ok: true });
  });

  it('pages history newest first within oldest/latest, by cursor', async () => {
    const ts: string[] = [];
    for (const text of ['a', 'b', 'c', 'd', 'e']) {
      ts.push((await client.chat.postMessage({ channel: 'C0DEPLOYS', text })).ts as string);
    }
    const page1 = await client.conversations.history({
      channel: 'C0DEPLOYS',
      oldest: ts[1],
      inclusive: true,
      limit: 2,
    });
    expect(page1.messages?.map((m) => m.text)).toEqual(['e', 'd']);
    expect(page1.has_more).toBe(true);
    const page2 = await client.conversations.history({
      channel: 'C0DEPLOYS',
      oldest: ts[1],
      inclusive: true,
      limit: 2,
      cursor: page1.response_metadata?.next_cursor,
    });
    expect(page2.messages?.map((m) => m.text)).toEqual(['c', 'b']);
    expect(page2.has_more).toBe(false);
    const exclusive = await client.conversations.history({
      channel: 'C0DEPLOYS',
      oldest: ts[1],
      latest: ts[4],
    });
    expect(exclusive.messages?.map((m) => m.text)).toEqual(['d', 'c']);
    expect(await slackError(client.conversations.history({ channel: 'C0NOPE' }))).toMatchObject({
      error: 'channel_not_found',
    });
  });
});
