import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuthKeys, createAuthKeys, createLocalTeams, type LocalTeams } from './index.js';
import { approvalCard, cardMessage, connectorClient } from './test-support/connector-client.js';

let teams: LocalTeams;
let call: ReturnType<typeof connectorClient>;
let tenant: { id: string };
const id = (key: string) => teams.directory.user(key)?.id ?? '';
const channelId = (key: string) => teams.directory.channel(key)?.id ?? '';

let keys: AuthKeys;

beforeAll(async () => {
  keys = await createAuthKeys();
});
beforeEach(async () => {
  teams = await createLocalTeams({
    keys,
    appId: 'app-under-test',
    users: [
      { key: 'alice', name: 'Alice Archer', installed: true },
      { key: 'bob', name: 'Bob Baker', installed: true },
      { key: 'dave', name: 'Dave Doe', installed: false },
    ],
    groupChats: [
      { key: 'release', topic: 'Release', members: ['alice', 'bob'], botInstalled: true },
    ],
  });
  call = connectorClient(teams);
  tenant = { id: teams.config.tenantId };
});
afterEach(() => teams.close());

describe('proactive 1:1 chats', () => {
  it('opens a chat with someone who never wrote to the bot and posts in it', async () => {
    const created = await call('POST', '/v3/conversations', {
      bot: { id: `28:${teams.config.appId}` },
      members: [{ id: id('bob') }],
      channelData: { tenant },
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^a:1/);
    const again = await call('POST', '/v3/conversations', {
      members: [{ id: teams.directory.user('bob')?.aadObjectId }],
      tenantId: tenant.id,
    });
    expect(again.body.id).toBe(created.body.id);
    const sent = await call('POST', `/v3/conversations/${created.body.id}/activities`, {
      type: 'message',
      text: 'Your review is waiting',
    });
    expect(sent.status).toBe(201);
    expect(teams.conversation('personal:bob')?.activities.map((a) => a.versions[0]?.text)).toEqual([
      'Your review is waiting',
    ]);
    expect(teams.conversation('personal:alice')).toBeUndefined();
  });

  it('refuses a conversation without a tenant, and with someone who has not installed the app', async () => {
    const noTenant = await call('POST', '/v3/conversations', { members: [{ id: id('bob') }] });
    expect([noTenant.status, noTenant.body]).toEqual([
      400,
      { error: { code: 'BadSyntax', message: 'Could not parse tenant id' } },
    ]);
    const notInstalled = await call('POST', '/v3/conversations', {
      members: [{ id: id('dave') }],
      channelData: { tenant },
    });
    expect([notInstalled.status, notInstalled.body.error.code]).toEqual([
      403,
      'BotNotInConversationRoster',
    ]);
  });

  it('posts the first message with the conversation when asked', async () => {
    const created = await call('POST', '/v3/conversations', {
      members: [{ id: id('alice') }],
      channelData: { tenant },
      activity: { type: 'message', text: 'hello' },
    });
    expect(created.body.activityId).toMatch(/^\d+$/);
    expect(teams.activity(created.body.activityId)?.current.text).toBe('hello');
  });
});

describe('channel posts and threads', () => {
  it('creates a post, replies in its thread both ways, and keeps channels apart', async () => {
    const post = await call('POST', '/v3/conversations', {
      isGroup: true,
      channelData: { channel: { id: channelId('deploys') }, tenant },
      activity: cardMessage(approvalCard('web 1.4.2 to production')),
    });
    expect(post.status).toBe(201);
    expect(post.body.id).toBe(`${channelId('deploys')};messageid=${post.body.activityId}`);
    const inThread = await call('POST', `/v3/conversations/${post.body.id}/activities`, {
      type: 'message',
      text: 'approved by bob',
    });
    const reply = await call(
      'POST',
      `/v3/conversations/${channelId('deploys')}/activities/${post.body.activityId}`,
      { type: 'message', text: 'deployed' },
    );
    expect([inThread.status, reply.status]).toEqual([201, 201]);
    const thread = teams.thread('deploys', post.body.activityId);
    expect(thread.map((a) => a.current.text ?? 'card')).toEqual([
      'card',
      'approved by bob',
      'deployed',
    ]);
    const topLevel = await call('POST', `/v3/conversations/${channelId('deploys')}/activities`, {
      type: 'message',
      text: 'a new post',
    });
    expect(teams.activity(topLevel.body.id)?.threadId).toBe(topLevel.body.id);
    expect(teams.thread('platform', post.body.activityId)).toEqual([]);
  });

  it('answers 404 for a thread that does not exist', async () => {
    const r = await call(
      'POST',
      `/v3/conversations/${channelId('deploys')};messageid=123/activities`,
      {
        type: 'message',
        text: 'lost',
      },
    );
    expect([r.status, r.body.error.code]).toEqual([404, 'ActivityNotFoundInConversation']);
  });
});

describe('updating and deleting', () => {
  it('keeps every version of a card updated in place', async () => {
    const chat = teams.directory.groupChat('release')?.id;
    const sent = await call(
      'POST',
      `/v3/conversations/${chat}/activities`,
      cardMessage(approvalCard('queued')),
    );
    for (const state of ['running', 'verifying', 'succeeded']) {
      const r = await call(
        'PUT',
        `/v3/conversations/${chat}/activities/${sent.body.id}`,
        cardMessage(approvalCard(state)),
      );
      expect([r.status, r.body]).toEqual([200, { id: sent.body.id }]);
    }
    const stored = teams.activity(sent.body.id);
    expect(stored?.versions).toHaveLength(4);
    const text = (a: unknown) =>
      (a as { attachments: [{ content: { body: [{ text: string }] } }] }).attachments[0].content
        .body[0].text;
    expect(stored?.versions.map(text)).toEqual(['queued', 'running', 'verifying', 'succeeded']);
    expect(text(stored?.current)).toBe('succeeded');
  });

  it('answers 404 as Teams does for an unknown activity or conversation', async () => {
    const chat = teams.directory.groupChat('release')?.id;
    const unknownActivity = await call('PUT', `/v3/conversations/${chat}/activities/999`, {
      type: 'message',
      text: 'x',
    });
    expect([unknownActivity.status, unknownActivity.body.error.code]).toEqual([
      404,
      'ActivityNotFoundInConversation',
    ]);
    const unknownConversation = await call(
      'PUT',
      '/v3/conversations/19:nope@thread.v2/activities/1',
      {
        type: 'message',
        text: 'x',
      },
    );
    expect([unknownConversation.status, unknownConversation.body.error.code]).toEqual([
      404,
      'ConversationNotFound',
    ]);
  });

  it('deletes, after which the message cannot be updated', async () => {
    const chat = teams.directory.groupChat('release')?.id;
    const sent = await call('POST', `/v3/conversations/${chat}/activities`, {
      type: 'message',
      text: 'oops',
    });
    expect(
      (await call('DELETE', `/v3/conversations/${chat}/activities/${sent.body.id}`)).status,
    ).toBe(200);
    expect(teams.activity(sent.body.id)?.deleted).toBe(true);
    const late = await call('PUT', `/v3/conversations/${chat}/activities/${sent.body.id}`, {
      type: 'message',
      text: 'fixed',
    });
    expect(late.status).toBe(404);
  });

  it("refuses to change a person's message", async () => {
    const said = await teams.message({
      from: 'alice',
      in: 'release',
      text: 'ship it',
      mentionBot: false,
    });
    const chat = teams.directory.groupChat('release')?.id;
    const r = await call('PUT', `/v3/conversations/${chat}/activities/${said.activityId}`, {
      type: 'message',
      text: 'edited',
    });
    expect([r.status, r.body.error.code]).toEqual([403, 'NotEnoughPermissions']);
  });
});

describe('members', () => {
  it('lists members, finds one by either id, and answers 404 for others', async () => {
    const chat = teams.directory.groupChat('release')?.id;
    const all = await call('GET', `/v3/conversations/${chat}/members`);
    expect(all.body.map((m: { name: string }) => m.name)).toEqual(['Alice Archer', 'Bob Baker']);
    const bob = teams.directory.user('bob');
    const byAad = await call('GET', `/v3/conversations/${chat}/members/${bob?.aadObjectId}`);
    expect(byAad.body).toMatchObject({
      id: bob?.id,
      userPrincipalName: bob?.email,
      userRole: 'user',
    });
    const dave = await call('GET', `/v3/conversations/${chat}/members/${id('dave')}`);
    expect([dave.status, dave.body.error.code]).toEqual([404, 'MemberNotFoundInConversation']);
    const paged = await call('GET', `/v3/conversations/${chat}/pagedMembers?pageSize=50`);
    expect(paged.body.members).toHaveLength(2);
    expect(paged.body.continuationToken).toBeUndefined();
  });
});

describe('what the connector refuses', () => {
  const chat = () => teams.directory.groupChat('release')?.id;

  it('refuses a message over the size Teams guarantees with its 413', async () => {
    const r = await call('POST', `/v3/conversations/${chat()}/activities`, {
      type: 'message',
      text: 'x'.repeat(41 * 1024),
    });
    expect(r.status).toBe(413);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body).toEqual({
      error: { code: 'MessageSizeTooBig', message: 'Message size too large.' },
    });
    expect(teams.conversation('release')?.activities).toEqual([]);
  });

  it('refuses a body over 256 KiB before reading it', async () => {
    const r = await call(
      'POST',
      `/v3/conversations/${chat()}/activities`,
      undefined,
      'y'.repeat(300_000),
    );
    expect([r.status, r.body.error.message]).toEqual([
      413,
      'The request content length exceeded limit of 262144 bytes.',
    ]);
  });

  it('refuses a card whose Action.Execute has no verb', async () => {
    const r = await call(
      'POST',
      `/v3/conversations/${chat()}/activities`,
      cardMessage(approvalCard('x', null)),
    );
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('BadArgument');
    expect(r.body.error.message).toContain(
      'Action.Execute has no verb (at /attachments/0/content/actions/0)',
    );
  });

  it.each([
    ['an empty message', { type: 'message' }, 'BadArgument'],
    ['an unknown activity type', { type: 'poke', text: 'x' }, 'BadArgument'],
    ['a malformed attachment', { type: 'message', attachments: [{ content: {} }] }, 'BadSyntax'],
  ])('refuses %s with 400', async (_name, body, code) => {
    const r = await call('POST', `/v3/conversations/${chat()}/activities`, body);
    expect([r.status, r.body.error.code]).toEqual([400, code]);
  });

  it('refuses what the API does not have, in JSON', async () => {
    const unknown = await call('GET', '/v3/conversations/x/history');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NotFound']);
    const wrongMethod = await call('PATCH', `/v3/conversations/${chat()}/activities/1`, {});
    expect([wrongMethod.status, wrongMethod.body.error.code]).toEqual([405, 'MethodNotAllowed']);
    const notJson = await call(
      'POST',
      `/v3/conversations/${chat()}/activities`,
      undefined,
      '{"type":',
    );
    expect([notJson.status, notJson.body.error.code]).toEqual([400, 'BadSyntax']);
  });

  it('records every call with its status, refused ones included', async () => {
    await call('POST', `/v3/conversations/${chat()}/activities`, { type: 'message', text: 'ok' });
    await call('POST', `/v3/conversations/${chat()}/activities`, { type: 'message' });
    expect(teams.calls('sendToConversation').map((c) => [c.status, c.errorCode])).toEqual([
      [201, undefined],
      [400, 'BadArgument'],
    ]);
  });

  it('waitFor gives up with the last calls when nothing comes', async () => {
    await call('GET', '/v3/conversations/19:nope@thread.v2/members');
    await expect(teams.waitFor(() => teams.botMessages()[0], 50)).rejects.toThrow(
      /^local-teams: waitFor timed out after 50 ms; last calls: POST .*\/token 200, GET \/v3\/conversations\/19:nope@thread\.v2\/members 404$/,
    );
  });
});
