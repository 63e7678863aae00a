import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRouter } from '../../http/router.js';
import { createLocalTeams, type LocalTeams } from '../../local-teams/index.js';
import type { Admission, Delivery } from '../inbound.js';
import { deployment } from '../test-support/deployments.js';
import type { ChatClient, InboundEvent, MessageView } from '../types.js';
import { deploymentView, rejectReasonModal } from '../views/index.js';
import { createTeamsClient } from './client.js';
import { type ConversationReferences, createMemoryReferences } from './references.js';
import { createBotTokenSource } from './token.js';
import { createTeamsTransport } from './transport.js';

/**
 * The Teams adapter end to end against the local Bot Connector double (src/local-teams):
 * activities arrive signed by the double's keys, and everything the client sends goes through
 * its token endpoint and Connector API, which validate cards and sizes as Teams does.
 */

const APP_ID = '7d3c1f20-5a6b-4c8d-9e0f-1a2b3c4d5e6f';

let teams: LocalTeams;
let server: Server;
let refs: ConversationReferences;
let client: ChatClient;
let waits: number[];
const admitted: { event: InboundEvent; delivery: Delivery }[] = [];
let onInvoke: (event: InboundEvent, delivery: Delivery) => void = (_e, d) => d.ack();

const admission: Admission = {
  admit(event, delivery) {
    admitted.push({ event, delivery });
    if (delivery.carries === 'nothing') delivery.ack();
    else onInvoke(event, delivery);
  },
};

beforeAll(async () => {
  teams = await createLocalTeams({
    appId: APP_ID,
    users: [{ key: 'alice' }, { key: 'bob' }, { key: 'dave', installed: false }],
    teams: [{ key: 'platform', name: 'Platform', channels: [{ key: 'deploys', name: 'deploys' }] }],
  });
  refs = createMemoryReferences();
  const route = await createTeamsTransport({
    admission,
    references: refs,
    appId: APP_ID,
    listenHost: '127.0.0.1',
    openIdMetadataUrl: teams.openIdMetadataUrl,
    log: pino({ level: 'silent' }),
  });
  const router = createRouter();
  router.add(route);
  server = createServer((req, res) => {
    const found = router.match(req.method ?? '', new URL(req.url ?? '/', 'http://x').pathname);
    if (!found || 'allowed' in found) {
      res.writeHead(405).end();
      return;
    }
    void Promise.resolve(found.route.handler(req, res, {}, new URL(req.url ?? '/', 'http://x')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  teams.setBotEndpoint(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`);
  client = createTeamsClient({
    references: refs,
    appId: APP_ID,
    tenantId: teams.config.tenantId,
    token: createBotTokenSource({
      appId: APP_ID,
      tenantId: teams.config.tenantId,
      password: teams.config.appPassword,
      loginUrl: teams.loginEndpoint,
    }),
    wait: async (ms) => {
      waits.push(ms);
    },
    log: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await teams.close();
});

beforeEach(() => {
  admitted.length = 0;
  waits = [];
  onInvoke = (_e, d) => d.ack();
  teams.faults.clear();
});

const deploys = () => teams.directory.channel('deploys')?.id ?? '';
const user = (key: string) => `teams:${teams.directory.user(key)?.aadObjectId}`;

describe('the Teams adapter against the local Bot Connector', () => {
  it('takes a channel mention and answers in its thread with a card Teams accepts', async () => {
    const asked = await teams.message({
      from: 'bob',
      in: 'deploys',
      text: 'deploy web 1.4.2 to staging',
    });
    expect(asked.status).toBe(200);
    const [command] = admitted;
    expect(command?.event).toMatchObject({
      kind: 'command',
      text: 'deploy web 1.4.2 to staging',
      user: user('bob'),
      channel: `teams:${deploys()}`,
      threadTs: asked.activityId,
    });
    const event = command?.event as Extract<InboundEvent, { kind: 'command' }>;
    const view = deploymentView(deployment({ state: 'awaiting_approval', approvalsRequired: 1 }));
    await client.post(event.channel, view, { threadTs: event.threadTs ?? '' });
    const thread = teams.thread('deploys', asked.activityId);
    expect(thread.map((a) => a.byBot)).toEqual([false, true]);
  });

  it('posts a card with buttons, takes a press as an action answered privately, updates in place', async () => {
    const view: MessageView = {
      title: 'web 1.4.2 waits for approval',
      tone: 'waiting',
      body: 'Requested by <@teams:nobody>.',
      fields: [{ label: 'Environment', value: 'production' }],
      actions: [
        { id: 'approve', label: 'Approve', value: 'd-42', style: 'primary' },
        {
          id: 'reject',
          label: 'Reject',
          value: 'd-42',
          style: 'danger',
          confirm: {
            title: 'Reject?',
            text: 'It will not deploy.',
            confirm: 'Reject',
            deny: 'Keep',
          },
        },
      ],
      links: [{ label: 'Run', url: 'https://ci.example/run/1' }],
    };
    const ref = await client.post(`teams:${deploys()}`, view);
    onInvoke = (_event, delivery) =>
      delivery.ack({
        kind: 'answer',
        view: { title: 'You requested it', tone: 'failure' },
        ephemeral: true,
        replaceOriginal: false,
      });
    const pressed = await teams.pressCard({ from: 'alice', activityId: ref.ts, verb: 'approve' });
    expect(pressed.shown).toEqual({ message: '❌ You requested it' });
    expect(admitted.at(-1)?.event).toMatchObject({
      kind: 'action',
      actionId: 'approve',
      value: 'd-42',
      user: user('alice'),
      messageTs: ref.ts,
    });
    await client.update(ref, {
      ...view,
      title: 'web 1.4.2 approved',
      tone: 'success',
      actions: [],
    });
    expect(teams.activity(ref.ts)?.versions).toHaveLength(2);
  });

  it('answers a Reject with the form for the person who pressed it', async () => {
    const ref = await client.post(`teams:${deploys()}`, {
      title: 'Review web 1.4.2',
      tone: 'waiting',
      actions: [{ id: 'review_reject', label: 'Reject', value: 'd-7' }],
    });
    onInvoke = (_event, delivery) =>
      delivery.ack({ kind: 'form', view: rejectReasonModal(deployment({ id: 'd-7' }), ref) });
    const pressed = await teams.pressCard({
      from: 'bob',
      activityId: ref.ts,
      verb: 'review_reject',
    });
    expect(JSON.stringify(pressed.shown.card)).toContain('"id":"input.reason"');
  });

  it('waits out a 429 and posts once', async () => {
    teams.faults.next('sendToConversation', { status: 429, retryAfterSec: 2 });
    const ref = await client.post(`teams:${deploys()}`, { title: 'after a 429', tone: 'neutral' });
    expect(waits).toEqual([2000]);
    expect(
      teams
        .calls('sendToConversation')
        .map((c) => c.status)
        .slice(-2),
    ).toEqual([429, 201]);
    expect(teams.activity(ref.ts)).toBeDefined();
  });

  it('answers someone privately 1:1 once seen, and names in the channel someone without the app', async () => {
    await teams.message({ from: 'alice', text: 'help' });
    await client.postEphemeral(`teams:${deploys()}`, user('alice'), {
      title: 'Only for you',
      tone: 'neutral',
    });
    expect(teams.botMessages('personal:alice').length).toBeGreaterThan(0);

    await teams.message({ from: 'dave', in: 'deploys', text: 'status' });
    await client.postEphemeral(`teams:${deploys()}`, user('dave'), {
      title: 'You may not deploy',
      tone: 'failure',
    });
    const named = teams.botMessages('deploys').at(-1)?.current as unknown as {
      attachments: { content: { body: { text: string }[] } }[];
    };
    expect(named.attachments[0]?.content.body[0]?.text).toBe('<at>Dave</at>:');
  });
});
