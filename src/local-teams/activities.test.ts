import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalTeams, type LocalTeams } from './index.js';
import { decodeJwt } from './jwt.js';
import { connectorClient } from './test-support/connector-client.js';

/** What reaches the bot, as raw as it arrives: the double's activities and their tokens. */

let teams: LocalTeams;
let server: Server;
const seen: Array<{ headers: Record<string, unknown>; body: Record<string, unknown> }> = [];
let answer: { status: number; body?: unknown } = { status: 200 };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  teams = await createLocalTeams({
    appId: 'b0b0b0b0-1111-2222-3333-444455556666',
    botEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`,
    users: [
      { key: 'alice', name: 'Alice Archer', installed: true },
      { key: 'bob', name: 'Bob Baker', installed: true },
      { key: 'dave', name: 'Dave Doe', installed: false },
    ],
    groupChats: [{ key: 'release', members: ['alice', 'bob'], botInstalled: false }],
  });
});
beforeEach(() => {
  seen.length = 0;
  answer = { status: 200 };
});
afterAll(async () => {
  await teams.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const last = () => seen.at(-1)?.body ?? {};

describe('activities delivered to the bot', () => {
  it('signs each one as the Bot Connector does', async () => {
    await teams.message({ from: 'alice', text: 'hi' });
    const auth = String(seen[0]?.headers.authorization);
    expect(auth).toMatch(/^Bearer /);
    const jwt = decodeJwt(auth.slice('Bearer '.length));
    expect(jwt?.header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(typeof jwt?.header.kid).toBe('string');
    const { iss, aud, serviceurl, nbf, exp } = jwt?.payload ?? {};
    expect({ iss, aud, serviceurl }).toEqual({
      iss: 'https://api.botframework.com',
      aud: teams.config.appId,
      serviceurl: teams.serviceUrl,
    });
    expect(Number(exp) - Number(nbf)).toBe(3600);
  });

  it('shapes a channel mention as Teams does', async () => {
    const posted = await teams.message({
      from: 'bob',
      in: 'deploys',
      text: 'deploy web',
      mentions: ['alice'],
    });
    const channel = teams.directory.channel('deploys');
    const team = teams.directory.team('platform');
    const bob = teams.directory.user('bob');
    expect(last()).toMatchObject({
      type: 'message',
      id: posted.activityId,
      channelId: 'msteams',
      serviceUrl: teams.serviceUrl,
      text: '<at>Slipway</at> deploy web <at>Alice Archer</at>',
      from: { id: bob?.id, name: 'Bob Baker', aadObjectId: bob?.aadObjectId },
      recipient: { id: `28:${teams.config.appId}`, name: 'Slipway' },
      conversation: {
        isGroup: true,
        conversationType: 'channel',
        tenantId: teams.config.tenantId,
        id: `${channel?.id};messageid=${posted.activityId}`,
      },
      channelData: {
        teamsChannelId: channel?.id,
        teamsTeamId: team?.id,
        channel: { id: channel?.id },
        team: { id: team?.id },
        tenant: { id: teams.config.tenantId },
      },
    });
    expect((last().entities as Array<{ type: string }>).map((e) => e.type)).toEqual([
      'mention',
      'mention',
      'clientInfo',
    ]);
    expect(channel?.id).toMatch(/^19:[0-9a-f]{32}@thread\.tacv2$/);
  });

  it('shapes a 1:1 message without channel or team', async () => {
    await teams.message({ from: 'alice', text: 'status' });
    expect(last().conversation).toEqual({
      conversationType: 'personal',
      tenantId: teams.config.tenantId,
      id: teams.conversation('personal:alice')?.id,
    });
    expect(last().channelData).toEqual({ tenant: { id: teams.config.tenantId } });
    expect(last().text).toBe('status');
  });

  it("sends nothing from a chat the bot is not in, until it's added", async () => {
    const before = await teams.message({ from: 'alice', in: 'release', text: 'anyone?' });
    expect(before.delivered).toBe(false);
    await teams.conversationUpdate({ from: 'alice', in: 'release', added: ['bot'] });
    expect(last()).toMatchObject({
      type: 'conversationUpdate',
      membersAdded: [{ id: `28:${teams.config.appId}` }],
      conversation: { conversationType: 'groupChat', isGroup: true },
    });
    const after = await teams.message({ from: 'alice', in: 'release', text: 'now?' });
    expect(after.delivered).toBe(true);
  });

  it('lets a person install the app, after which the bot may open a chat with them', async () => {
    const call = connectorClient(teams);
    const open = () =>
      call('POST', '/v3/conversations', {
        members: [{ id: teams.directory.user('dave')?.id }],
        channelData: { tenant: { id: teams.config.tenantId } },
      });
    expect((await open()).status).toBe(403);
    await teams.installationUpdate({ from: 'dave', action: 'add' });
    expect(last()).toMatchObject({
      type: 'installationUpdate',
      action: 'add',
      conversation: { conversationType: 'personal' },
    });
    expect((await open()).status).toBe(201);
  });

  it('reports what a person sees after pressing a button, from the invoke response', async () => {
    const call = connectorClient(teams);
    const chat = teams.conversation('personal:alice')?.id;
    const card = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [{ type: 'TextBlock', text: 'Approve?' }],
      actions: [{ type: 'Action.Execute', title: 'Approve', verb: 'approve' }],
    };
    const sent = await call('POST', `/v3/conversations/${chat}/activities`, {
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
    });
    answer = {
      status: 200,
      body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Done' },
    };
    const ok = await teams.pressCard({
      from: 'alice',
      activityId: sent.body.id,
      title: 'Approve',
      inputs: { note: 'lgtm' },
    });
    expect(ok.shown).toEqual({ message: 'Done' });
    expect(last()).toMatchObject({
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: { action: { verb: 'approve', data: { note: 'lgtm' } }, trigger: 'manual' },
    });
    answer = {
      status: 200,
      body: {
        statusCode: 200,
        type: 'application/vnd.microsoft.card.adaptive',
        value: { type: 'AdaptiveCard' },
      },
    };
    expect(
      (await teams.pressCard({ from: 'alice', activityId: sent.body.id, verb: 'approve' })).shown,
    ).toEqual({
      error: 'invalid_response',
    });
    answer = { status: 500 };
    expect(
      (await teams.pressCard({ from: 'alice', activityId: sent.body.id, verb: 'approve' })).shown,
    ).toEqual({
      error: 'http_500',
    });
    expect(teams.invokeResponses()).toHaveLength(3);
  });

  it('says when the bot does not answer', async () => {
    teams.setBotEndpoint('http://127.0.0.1:9/api/messages');
    const r = await teams.message({ from: 'alice', text: 'anyone?' });
    expect([r.status, r.timedOut, typeof r.error]).toEqual([undefined, false, 'string']);
    teams.setBotEndpoint(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`);
  });
});
