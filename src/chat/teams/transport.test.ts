import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { createRouter, type Route } from '../../http/router.js';
import type { Admission, Delivery } from '../inbound.js';
import type { InboundEvent, MessageRef, MessageView } from '../types.js';
import { FORM_MARKER } from './cards.js';
import { type ConversationReferences, createMemoryReferences } from './references.js';
import {
  type BotFrameworkKeys,
  ISSUER,
  startBotFrameworkKeys,
} from './test-support/bot-framework.js';
import {
  CLICK_TAKEN,
  createTeamsTransport,
  inboundAuth,
  isLoopback,
  TEAMS_MESSAGES_PATH,
} from './transport.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const BOT = { id: `28:${APP_ID}`, name: 'Slipway' };
const SERVICE_URL = 'https://smba.trafficmanager.net/teams/';
const CHANNEL = '19:deploys@thread.tacv2';

let keys: BotFrameworkKeys;
beforeAll(async () => {
  keys = await startBotFrameworkKeys();
});
afterAll(() => keys.close());

/** Records what reaches admission; an invoke is acknowledged as the test says. */
function fakeAdmission(
  onInvoke: (event: InboundEvent, delivery: Delivery) => void = (_e, d) => d.ack(),
) {
  const admitted: { event: InboundEvent; delivery: Delivery }[] = [];
  const admission: Admission = {
    admit(event, delivery) {
      admitted.push({ event, delivery });
      if (delivery.carries === 'nothing') delivery.ack();
      else onInvoke(event, delivery);
    },
  };
  return { admission, admitted };
}

let server: Server;
let url: string;
let route: Route;
let refs: ConversationReferences;
let admitted: ReturnType<typeof fakeAdmission>['admitted'];
const cards = new Map<string, MessageView>();

async function serve(
  options: {
    onInvoke?: Parameters<typeof fakeAdmission>[0];
    appId?: string;
    anonymous?: boolean;
  } = {},
): Promise<void> {
  const fake = fakeAdmission(options.onInvoke);
  admitted = fake.admitted;
  route = await createTeamsTransport({
    admission: fake.admission,
    references: refs,
    cardFor: async (ref: MessageRef) => cards.get(`${ref.channel}/${ref.ts}`) ?? null,
    ...('appId' in options ? { appId: options.appId } : { appId: APP_ID }),
    anonymous: options.anonymous ?? false,
    listenHost: '127.0.0.1',
    openIdMetadataUrl: keys.openIdMetadataUrl,
    log: pino({ level: 'silent' }),
  });
  server = createServer((req, res) => {
    void Promise.resolve(route.handler(req, res, {}, new URL(req.url ?? '/', url))).catch((err) => {
      res.writeHead((err as { status?: number }).status ?? 500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeEach(() => {
  refs = createMemoryReferences();
  cards.clear();
});
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    aud: APP_ID,
    nbf: now - 10,
    exp: now + 3600,
    serviceurl: SERVICE_URL,
    ...extra,
  };
}

async function post(
  body: unknown,
  token: string | null,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}${TEAMS_MESSAGES_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const from = { id: '29:alice', name: 'Alice Doe', aadObjectId: 'aad-alice' };
function channelMention(text = 'deploy web to prod'): Record<string, unknown> {
  return {
    type: 'message',
    id: '1700',
    text: `<at>Slipway</at> ${text}`,
    from,
    recipient: BOT,
    serviceUrl: SERVICE_URL,
    channelId: 'msteams',
    conversation: { id: `${CHANNEL};messageid=1690`, conversationType: 'channel', isGroup: true },
    entities: [
      { type: 'mention', text: '<at>Slipway</at>', mentioned: { id: BOT.id, name: 'Slipway' } },
    ],
    channelData: { tenant: { id: 'tenant-1' }, team: { id: 'team-1' } },
  };
}
function click(data: Record<string, unknown>, verb = 'approve'): Record<string, unknown> {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: 'inv-1',
    from,
    recipient: BOT,
    serviceUrl: SERVICE_URL,
    channelId: 'msteams',
    replyToId: '1001',
    conversation: { id: CHANNEL, conversationType: 'channel', isGroup: true },
    value: { action: { type: 'Action.Execute', verb, data } },
    channelData: { tenant: { id: 'tenant-1' } },
  };
}

describe('Bot Framework authentication', () => {
  beforeEach(() => serve());

  it('takes a message signed with the published key, normalized for admission', async () => {
    const answer = await post(channelMention(), keys.token(claims()));
    expect(answer.status).toBe(200);
    expect(admitted.map((a) => [a.event, a.delivery.carries])).toEqual([
      [
        {
          kind: 'command',
          mode: 'mention',
          text: 'deploy web to prod',
          user: 'teams:aad-alice',
          channel: `teams:${CHANNEL}`,
          threadTs: '1690',
          responseUrl: null,
          deliveryId: 'teams:1700',
        },
        'nothing',
      ],
    ]);
    expect(admitted[0]?.delivery.replayableForMs).toBeGreaterThan(60 * 60_000);
    // The signature was checked against the keys the metadata names.
    expect(keys.fetches()).toBeGreaterThan(0);
    // Who is where was recorded on the way.
    expect(await refs.conversation(CHANNEL)).toMatchObject({
      kind: 'channel',
      serviceUrl: SERVICE_URL,
      tenantId: 'tenant-1',
    });
    expect(await refs.member('teams:aad-alice')).toMatchObject({
      teamsId: '29:alice',
      name: 'Alice Doe',
    });
  });

  const refused: [string, () => string | null][] = [
    ['no token', () => null],
    ['a forged signature', () => keys.token(claims(), { forged: true })],
    ['an expired token', () => keys.token(claims({ nbf: 1_000, exp: 2_000 }))],
    [
      'another app’s audience',
      () => keys.token(claims({ aud: '99999999-2222-3333-4444-555555555555' })),
    ],
    ['another issuer', () => keys.token(claims({ iss: 'https://evil.example' }))],
    ['an Entra ID issuer', () => keys.token(claims({ iss: 'https://sts.windows.net/tenant-1/' }))],
    [
      'another service URL',
      () => keys.token(claims({ serviceurl: 'https://evil.example/teams/' })),
    ],
    ['no JWT at all', () => 'garbage'],
  ];
  for (const [what, token] of refused) {
    it(`refuses ${what} with 401, handing nothing over and recording nothing`, async () => {
      const answer = await post(channelMention(), token());
      expect(answer.status).toBe(401);
      expect(admitted).toEqual([]);
      expect(await refs.member('teams:aad-alice')).toBeNull();
    });
  }

  it('refuses a body that is no JSON, and one over its limit before reading it', async () => {
    expect((await post('{not json', keys.token(claims()))).status).toBe(400);
    const big = JSON.stringify({ ...channelMention(), text: 'x'.repeat(300 * 1024) });
    expect((await post(big, keys.token(claims()))).status).toBe(413);
    expect(admitted).toEqual([]);
  });
});

describe('what reaches admission', () => {
  it('takes any 1:1 message, but a group message only when it mentions the bot', async () => {
    await serve();
    const personal = {
      ...channelMention(),
      text: 'status web',
      entities: [],
      conversation: { id: 'a:1x', conversationType: 'personal', tenantId: 'tenant-1' },
    };
    const group = {
      ...personal,
      id: '1701',
      conversation: { id: '19:g@thread.v2', conversationType: 'groupChat', isGroup: true },
    };
    expect((await post(personal, keys.token(claims()))).status).toBe(200);
    expect((await post(group, keys.token(claims()))).status).toBe(200);
    expect(
      admitted.map((a) => [a.event.channel, a.event.kind === 'command' && a.event.threadTs]),
    ).toEqual([['teams:a:1x', null]]);
    // The group was still learnt.
    expect(await refs.conversation('19:g@thread.v2')).toMatchObject({ kind: 'groupChat' });
    expect(await refs.member('teams:aad-alice')).toMatchObject({ personalConversationId: 'a:1x' });
  });

  it('records an installation without handing anything over', async () => {
    await serve();
    const install = {
      type: 'installationUpdate',
      action: 'add',
      id: 'i-1',
      from,
      recipient: BOT,
      serviceUrl: SERVICE_URL,
      conversation: { id: 'a:1x', conversationType: 'personal' },
      channelData: { tenant: { id: 'tenant-1' } },
    };
    expect((await post(install, keys.token(claims()))).status).toBe(200);
    expect(admitted).toEqual([]);
    expect(await refs.member('teams:aad-alice')).toMatchObject({
      personalConversationId: 'a:1x',
      tenantId: 'tenant-1',
    });
  });
});

describe('clicks and their answers', () => {
  const ref = `teams:${CHANNEL}/1001`;
  const current: MessageView = { title: 'web 1.4.2 approved', tone: 'success' };

  it('hands a click over as an action whose trigger is the invoke, answering with the private answer', async () => {
    await serve({
      onInvoke: (_event, delivery) =>
        delivery.ack({
          kind: 'answer',
          view: { title: 'Refused', tone: 'failure', body: 'You requested it.' },
          ephemeral: true,
          replaceOriginal: false,
        }),
    });
    const answer = await post(click({ value: 'd-42' }), keys.token(claims()));
    expect(admitted[0]?.event).toEqual({
      kind: 'action',
      actionId: 'approve',
      value: 'd-42',
      user: 'teams:aad-alice',
      channel: `teams:${CHANNEL}`,
      messageTs: '1001',
      responseUrl: null,
      deliveryId: 'teams:inv-1',
      triggerId: 'teams:inv-1',
    });
    expect(admitted[0]?.delivery.carries).toBe('answer');
    expect(answer).toEqual({
      status: 200,
      body: {
        statusCode: 200,
        type: 'application/vnd.microsoft.activity.message',
        value: '❌ Refused\nYou requested it.',
      },
    });
  });

  it('shows the clicker the card as it stands when the handler answered nothing', async () => {
    cards.set(ref, current);
    await serve();
    const answer = await post(click({ value: 'd-42' }), keys.token(claims()));
    expect(answer.body).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.card.adaptive',
    });
    expect(JSON.stringify(answer.body)).toContain('web 1.4.2 approved');
  });

  it('says the click was received when Slipway keeps no card for the message', async () => {
    // Teams wants an answer to every invoke; an approver's request is updated, not kept as a card.
    await serve();
    expect(await post(click({ value: 'd-42' }), keys.token(claims()))).toEqual({
      status: 200,
      body: {
        statusCode: 200,
        type: 'application/vnd.microsoft.activity.message',
        value: CLICK_TAKEN,
      },
    });
  });

  it('answers a form opened from the click with the form’s card', async () => {
    await serve({
      onInvoke: (_event, delivery) =>
        delivery.ack({
          kind: 'form',
          view: {
            actionId: 'review_reject',
            value: 'd-42',
            origin: { channel: `teams:${CHANNEL}`, ts: '1001' },
            title: 'Reject this build',
            submit: 'Reject',
            cancel: 'Cancel',
            inputs: [{ id: 'reason', label: 'Why?' }],
          },
        }),
    });
    const answer = await post(click({ value: 'd-42' }, 'review_reject'), keys.token(claims()));
    const card = (answer.body as { value: { body: { type: string; id?: string }[] } }).value;
    expect(card.body.find((e) => e.type === 'Input.Text')?.id).toBe('input.reason');
  });

  it('hands a form’s submit over as a submission with its inputs', async () => {
    await serve({
      onInvoke: (_e, d) =>
        d.ack({ kind: 'form_errors', errors: { reason: 'Say why it is rejected.' } }),
    });
    const answer = await post(
      click({ value: 'd-42', [FORM_MARKER]: 1, 'input.reason': 'Broken on iOS' }, 'review_reject'),
      keys.token(claims()),
    );
    expect(admitted[0]?.event).toMatchObject({
      kind: 'submission',
      actionId: 'review_reject',
      value: 'd-42',
      fields: { reason: 'Broken on iOS' },
      messageTs: '1001',
    });
    expect(answer.body).toMatchObject({ value: 'Say why it is rejected.' });
  });

  it('answers a refresh with the current card, without admission', async () => {
    cards.set(ref, current);
    await serve();
    const answer = await post(click({}, 'refresh'), keys.token(claims()));
    expect(admitted).toEqual([]);
    expect(JSON.stringify(answer.body)).toContain('web 1.4.2 approved');
  });
});

describe('anonymous local use', () => {
  it('is allowed only without an app id, when asked for, on loopback', () => {
    expect(inboundAuth({ appId: APP_ID, anonymous: false, listenHost: '0.0.0.0' })).toEqual({
      kind: 'jwt',
      appId: APP_ID,
    });
    expect(inboundAuth({ anonymous: true, listenHost: '127.0.0.1' })).toEqual({
      kind: 'anonymous',
    });
    expect(inboundAuth({ anonymous: true, listenHost: '::1' })).toEqual({ kind: 'anonymous' });
    expect(() => inboundAuth({ anonymous: true, listenHost: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => inboundAuth({ anonymous: true, listenHost: '192.168.1.5' })).toThrow(/loopback/);
    expect(() => inboundAuth({ anonymous: false, listenHost: '127.0.0.1' })).toThrow(
      /TEAMS_APP_ID/,
    );
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('localhost.evil.example')).toBe(false);
  });

  it('takes activities without a token from this machine', async () => {
    await serve({ appId: undefined, anonymous: true });
    const answer = await post(channelMention(), null);
    expect(answer.status).toBe(200);
    expect(admitted).toHaveLength(1);
    expect(admitted[0]?.delivery.replayableForMs).toBeUndefined();
  });
});

describe('the route', () => {
  it('is answered 405 for HEAD (the Playground’s probe), naming POST', async () => {
    await serve();
    const router = createRouter();
    router.add(route);
    expect(router.match('HEAD', TEAMS_MESSAGES_PATH)).toEqual({ allowed: ['POST'] });
    expect(router.match('POST', TEAMS_MESSAGES_PATH)).toMatchObject({ route });
  });
});
