import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NotFoundError,
  RetryableError,
  UnauthorizedError,
  ValidationError,
} from '../../core/errors.js';
import {
  hang,
  reply,
  type ScriptedServer,
  startScriptedServer,
} from '../test-support/scripted-server.js';
import type { ChatClient, MessageView } from '../types.js';
import { type AdaptiveCard, CARD_CONTENT_TYPE } from './cards.js';
import { createTeamsClient, deliveryTarget, type TeamsCall } from './client.js';
import {
  type ConversationReferences,
  createMemoryReferences,
  type TeamsMember,
} from './references.js';

const CHANNEL = '19:deploys@thread.tacv2';
const GROUP = '19:group@thread.v2';
const view: MessageView = {
  title: 'web 1.4.2 deployed',
  tone: 'success',
  body: 'By <@teams:aad-alice>.',
};

let server: ScriptedServer;
let refs: ConversationReferences;
let calls: TeamsCall[];
let waits: number[];
let client: ChatClient;

const alice: TeamsMember = {
  user: 'teams:aad-alice',
  teamsId: '29:alice',
  aadObjectId: 'aad-alice',
  name: 'Alice Doe',
  tenantId: 'tenant-1',
  serviceUrl: '',
  personalConversationId: null,
};

function build(extra: Partial<Parameters<typeof createTeamsClient>[0]> = {}): ChatClient {
  return createTeamsClient({
    references: refs,
    appId: '11111111-2222-3333-4444-555555555555',
    token: async () => 'bot-token',
    onCall: (call) => calls.push(call),
    wait: async (ms) => {
      waits.push(ms);
    },
    log: pino({ level: 'silent' }),
    ...extra,
  });
}

beforeEach(async () => {
  server = await startScriptedServer();
  refs = createMemoryReferences();
  calls = [];
  waits = [];
  alice.serviceUrl = server.url;
  await refs.saveConversation({
    id: CHANNEL,
    kind: 'channel',
    serviceUrl: server.url,
    tenantId: 'tenant-1',
  });
  await refs.saveConversation({
    id: GROUP,
    kind: 'groupChat',
    serviceUrl: server.url,
    tenantId: 'tenant-1',
  });
  client = build();
});

afterEach(() => server.close());

const bodyOf = (i: number) => JSON.parse(server.seen[i]?.body ?? 'null');
const cardOf = (i: number) => bodyOf(i).attachments[0].content as AdaptiveCard;

describe('posting and updating cards', () => {
  it('posts a card to a channel with the bot token and returns its ref', async () => {
    await refs.saveMember(alice);
    server.on(`POST /v3/conversations/${CHANNEL}/activities`, reply(201, { id: '1001' }));
    const ref = await client.post(`teams:${CHANNEL}`, view);
    expect(ref).toEqual({ channel: `teams:${CHANNEL}`, ts: '1001' });
    expect(server.seen[0]?.headers.authorization).toBe('Bearer bot-token');
    const body = bodyOf(0);
    expect(body).toMatchObject({ type: 'message', summary: '✅ web 1.4.2 deployed' });
    expect(body.attachments[0].contentType).toBe(CARD_CONTENT_TYPE);
    // The mention is shown by the name the references know.
    expect(JSON.stringify(cardOf(0))).toContain('By Alice Doe.');
    expect(calls).toEqual([{ method: 'activities.create', ok: true, retriedAfterMs: 0 }]);
  });

  it('replies in a channel thread, and as a plain message where chats have no threads', async () => {
    server.on(
      `POST /v3/conversations/${CHANNEL};messageid=1001/activities`,
      reply(201, { id: '1002' }),
    );
    server.on(`POST /v3/conversations/${GROUP}/activities`, reply(201, { id: '2002' }));
    await client.post(`teams:${CHANNEL}`, view, { threadTs: '1001' });
    const inGroup = await client.post(`teams:${GROUP}`, view, { threadTs: '2001' });
    expect(inGroup).toEqual({ channel: `teams:${GROUP}`, ts: '2002' });
    expect(server.seen.map((s) => s.path)).toEqual([
      `/v3/conversations/${CHANNEL};messageid=1001/activities`,
      `/v3/conversations/${GROUP}/activities`,
    ]);
  });

  it('updates a message in place', async () => {
    server.on(`PUT /v3/conversations/${CHANNEL}/activities/1001`, reply(200, { id: '1001' }));
    await client.update({ channel: `teams:${CHANNEL}`, ts: '1001' }, { ...view, tone: 'failure' });
    expect(server.seen[0]?.method).toBe('PUT');
    expect(cardOf(0).body[0]).toMatchObject({ color: 'Attention' });
  });

  it('refuses an id that is not a Teams conversation, calling nothing', async () => {
    await expect(client.post('C0DEPLOYS01', view)).rejects.toBeInstanceOf(ValidationError);
    expect(server.seen).toEqual([]);
  });

  it('posts without a token in anonymous local use', async () => {
    server.on(`POST /v3/conversations/${CHANNEL}/activities`, reply(201, { id: '1' }));
    await build({ token: undefined, appId: undefined }).post(`teams:${CHANNEL}`, view);
    expect(server.seen[0]?.headers.authorization).toBeUndefined();
  });
});

describe('failures', () => {
  const path = `/v3/conversations/${CHANNEL}/activities`;

  it('waits out a 429’s Retry-After and tries again', async () => {
    server.on(`POST ${path}`, reply(429, {}, { 'retry-after': '2' }), reply(201, { id: '1' }));
    await client.post(`teams:${CHANNEL}`, view);
    expect(waits).toEqual([2000]);
    expect(calls).toEqual([{ method: 'activities.create', ok: true, retriedAfterMs: 2000 }]);
  });

  it('retries 5xx with backoff, a bounded number of times, then fails retryable', async () => {
    const failing = build({ attempts: 3 });
    server.on(`PUT ${path}/1`, reply(503), reply(502), reply(500));
    const err = await failing
      .update({ channel: `teams:${CHANNEL}`, ts: '1' }, view)
      .catch((e) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(server.seen).toHaveLength(3);
    expect(waits).toEqual([500, 1000]);
    expect(calls.at(-1)).toMatchObject({ ok: false, error: 'retryable' });
  });

  it('retries a 412, as Teams asks', async () => {
    server.on(
      `PUT ${path}/1`,
      reply(412, { error: { code: 'PreconditionFailed' } }),
      reply(200, { id: '1' }),
    );
    await client.update({ channel: `teams:${CHANNEL}`, ts: '1' }, view);
    expect(server.seen).toHaveLength(2);
  });

  it('does not retry a keyed post whose outcome is unknown (5xx), only one Teams refused (429)', async () => {
    server.on(`POST ${path}`, reply(500));
    const key = { subject: 'd-1', purpose: 'card' };
    await expect(client.post(`teams:${CHANNEL}`, view, { key })).rejects.toBeInstanceOf(
      RetryableError,
    );
    expect(server.seen).toHaveLength(1);
    server.on(`POST ${path}`, reply(429, {}, { 'retry-after': '1' }), reply(201, { id: '9' }));
    await expect(client.post(`teams:${CHANNEL}`, view, { key })).resolves.toMatchObject({
      ts: '9',
    });
    expect(server.seen).toHaveLength(3);
  });

  it('does not sit out a Retry-After longer than it may wait', async () => {
    server.on(`POST ${path}`, reply(429, {}, { 'retry-after': '120' }));
    const err = await client.post(`teams:${CHANNEL}`, view).catch((e) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.retryAfterMs).toBe(120_000);
    expect(waits).toEqual([]);
  });

  it('ends a call Teams does not answer, as retryable', async () => {
    server.on(`POST ${path}`, hang, hang);
    const slow = build({ timeoutMs: 100, attempts: 2 });
    await expect(slow.post(`teams:${CHANNEL}`, view)).rejects.toBeInstanceOf(RetryableError);
    expect(server.seen).toHaveLength(2);
  });

  it('says what to fix for the connector’s refusals', async () => {
    server.on(
      `PUT ${path}/1`,
      reply(404, { error: { code: 'ConversationNotFound', message: 'x' } }),
    );
    const err = await client.update({ channel: `teams:${CHANNEL}`, ts: '1' }, view).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toMatch(/ConversationNotFound: the conversation is gone/);
    server.on(`PUT ${path}/1`, reply(401, {}));
    await expect(
      client.update({ channel: `teams:${CHANNEL}`, ts: '1' }, view),
    ).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('fails retryable when the token cannot be had, retrying it like a call', async () => {
    let asked = 0;
    const noToken = build({
      attempts: 2,
      token: async () => {
        asked++;
        throw new RetryableError('identity platform down');
      },
    });
    await expect(noToken.post(`teams:${CHANNEL}`, view)).rejects.toBeInstanceOf(RetryableError);
    expect(asked).toBe(2);
    expect(server.seen).toEqual([]);
  });
});

describe('private answers', () => {
  it('goes to the person’s 1:1 chat, created when not yet known', async () => {
    await refs.saveMember(alice);
    server.on('POST /v3/conversations', reply(201, { id: 'a:alice-personal' }));
    server.on('POST /v3/conversations/a:alice-personal/activities', reply(201, { id: '5' }));
    await client.postEphemeral(`teams:${CHANNEL}`, alice.user, view);
    expect(bodyOf(0)).toMatchObject({
      isGroup: false,
      members: [{ id: '29:alice' }],
      bot: { id: '28:11111111-2222-3333-4444-555555555555' },
      tenantId: 'tenant-1',
      channelData: { tenant: { id: 'tenant-1' } },
    });
    // Remembered: the next one needs no new conversation.
    server.on('POST /v3/conversations/a:alice-personal/activities', reply(201, { id: '6' }));
    await client.postEphemeral(`teams:${GROUP}`, alice.user, view);
    expect(server.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /v3/conversations',
      'POST /v3/conversations/a:alice-personal/activities',
      'POST /v3/conversations/a:alice-personal/activities',
    ]);
    expect(await client.openDirect(alice.user)).toBe('teams:a:alice-personal');
  });

  it('names the person in the conversation when they cannot be reached 1:1', async () => {
    await refs.saveMember(alice);
    server.on(
      'POST /v3/conversations',
      reply(403, { error: { code: 'BotNotInConversationRoster' } }),
    );
    server.on(`POST /v3/conversations/${CHANNEL}/activities`, reply(201, { id: '7' }));
    await client.postEphemeral(`teams:${CHANNEL}`, alice.user, view);
    const card = cardOf(1);
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: '<at>Alice Doe</at>:' });
    expect(card.msteams).toMatchObject({
      entities: [
        {
          type: 'mention',
          text: '<at>Alice Doe</at>',
          mentioned: { id: '29:alice', name: 'Alice Doe' },
        },
      ],
    });
  });

  it('answers in the conversation when it is the person’s own 1:1 chat', async () => {
    await refs.saveConversation({
      id: 'a:bob',
      kind: 'personal',
      serviceUrl: server.url,
      tenantId: null,
    });
    server.on('POST /v3/conversations/a:bob/activities', reply(201, { id: '8' }));
    await client.postEphemeral('teams:a:bob', 'teams:aad-bob', view);
    expect(server.seen).toHaveLength(1);
  });

  it('decides where a private answer goes', () => {
    const member = { ...alice, personalConversationId: 'a:alice' };
    expect(deliveryTarget({ id: 'a:alice', kind: 'personal' }, member)).toBe('here');
    expect(deliveryTarget({ id: 'a:bob', kind: 'personal' }, member)).toBe('direct');
    expect(deliveryTarget({ id: CHANNEL, kind: 'channel' }, alice)).toBe('direct');
    expect(deliveryTarget({ id: CHANNEL, kind: 'channel' }, null)).toBe('mention');
  });

  it('has no response_url to answer through', async () => {
    await expect(client.respond('https://x', view, { ephemeral: true })).rejects.toThrow(
      /no response_url/,
    );
  });
});

describe('people, direct chats and forms', () => {
  it('cannot open a 1:1 chat with someone it never saw', async () => {
    await expect(client.openDirect('teams:aad-nobody')).rejects.toBeInstanceOf(NotFoundError);
    expect(server.seen).toEqual([]);
  });

  it('names people from the references', async () => {
    await refs.saveMember(alice);
    expect(await client.userName?.(alice.user)).toBe('Alice Doe');
    expect(await client.userName?.('teams:aad-nobody')).toBeNull();
  });

  it('opens no form of its own: a form only answers the click that opens it', async () => {
    const modal = {
      actionId: 'review_reject',
      value: 'd-1',
      origin: { channel: `teams:${CHANNEL}`, ts: '1001' },
      title: 'Reject this build',
      submit: 'Reject',
      cancel: 'Cancel',
      inputs: [{ id: 'reason', label: 'Why?' }],
    };
    await expect(client.openModal?.('teams:1', modal)).rejects.toBeInstanceOf(ValidationError);
    expect(server.seen).toEqual([]);
  });
});
