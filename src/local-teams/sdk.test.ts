import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalTeams, type LocalTeams } from './index.js';
import { approvalCard, cardMessage } from './test-support/connector-client.js';
import { type SdkBot, startSdkBot } from './test-support/sdk-bot.js';

/**
 * A bot written with Microsoft's Teams SDK against the double, end to end: what people do
 * arrives signed and is accepted by the SDK, and what the SDK sends back (with a token from
 * the double) lands where Teams would show it.
 */

let teams: LocalTeams;
let bot: SdkBot;

const strip = (text: string | undefined) => (text ?? '').replace(/<at>[^<]*<\/at>/g, '').trim();
const cardText = (activity: unknown) =>
  (activity as { attachments?: [{ content: { body: [{ text: string }] } }] }).attachments?.[0]
    .content.body[0].text;

beforeAll(async () => {
  teams = await createLocalTeams({
    appId: '3c0b6a50-6f7e-4d1c-9a0e-2b8c5d4e7f10',
    groupChats: [{ key: 'release', members: ['alice', 'bob'], botInstalled: true }],
  });
  bot = await startSdkBot(
    teams,
    (app) => {
      app.on('message', async ({ activity, send }) => {
        const text = strip(activity.text);
        if (text === 'deploy') {
          await send(cardMessage(approvalCard('web 1.4.2: waiting for approval')) as never);
        } else {
          await send(`echo: ${text}`);
        }
      });
      app.on('card.action', async ({ activity, api }) => {
        const card = { ...approvalCard(`approved by ${activity.from.name}`), actions: [] };
        await api.conversations.updateActivity(
          activity.conversation.id,
          activity.replyToId ?? '',
          cardMessage(card) as never,
        );
        const value = card as never;
        return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value } as const;
      });
    },
    { serviceUrl: teams.serviceUrl },
  );
});
afterAll(async () => {
  await bot.close();
  await teams.close();
});

describe('a Teams SDK bot against the double', () => {
  it("answers a 1:1 message in that person's chat", async () => {
    const r = await teams.message({ from: 'alice', text: 'hello' });
    expect([r.delivered, r.status]).toEqual([true, 200]);
    const echo = await teams.waitFor(() => teams.botMessages('personal:alice')[0]);
    expect(echo.current.text).toBe('echo: hello');
  });

  it('answers a channel mention in its thread, and never hears an unmentioned post', async () => {
    const quiet = await teams.message({
      from: 'bob',
      in: 'deploys',
      text: 'lunch?',
      mentionBot: false,
    });
    expect(quiet.delivered).toBe(false);
    const asked = await teams.message({ from: 'bob', in: 'deploys', text: 'status' });
    await teams.waitFor(() => teams.thread('deploys', asked.activityId)[1]);
    expect(teams.thread('deploys', asked.activityId).map((a) => strip(a.current.text))).toEqual([
      'status',
      'echo: status',
    ]);
    expect(teams.thread('deploys', quiet.activityId).map((a) => a.byBot)).toEqual([false]);
  });

  it('lets someone else press Approve: the invoke is answered and the card updated in place', async () => {
    await teams.message({ from: 'alice', in: 'release', text: 'deploy' });
    const card = await teams.waitFor(() => teams.botMessages('release')[0]);
    expect(cardText(card.current)).toBe('web 1.4.2: waiting for approval');
    const pressed = await teams.pressCard({ from: 'bob', activityId: card.id, verb: 'approve' });
    expect(pressed.status).toBe(200);
    expect(cardText({ attachments: [{ content: pressed.shown.card }] })).toBe(
      'approved by Bob Baker',
    );
    const after = teams.activity(card.id);
    expect(after?.versions.map(cardText)).toEqual([
      'web 1.4.2: waiting for approval',
      'approved by Bob Baker',
    ]);
    const invoke = teams.invokeResponses().at(-1)?.activity;
    expect(invoke).toMatchObject({
      name: 'adaptiveCard/action',
      replyToId: card.id,
      from: { id: teams.directory.user('bob')?.id },
      value: { action: { type: 'Action.Execute', verb: 'approve', data: { deployment: 42 } } },
    });
  });

  it('refuses to press a button the card does not have', async () => {
    const card = teams.botMessages('release')[0];
    await expect(
      teams.pressCard({ from: 'bob', activityId: card?.id ?? '', verb: 'reject' }),
    ).rejects.toThrow(/no such button/);
  });

  it('opens a 1:1 chat proactively with the SDK and posts there', async () => {
    const bob = teams.directory.user('bob');
    const created = await bot.app.api.conversations.create({
      members: [{ id: bob?.id ?? '', name: bob?.name ?? '', role: 'user' }],
      tenantId: teams.config.tenantId,
      channelData: { tenant: { id: teams.config.tenantId } },
    });
    await bot.app.send(created.id, 'Your review of web 1.4.2 is waiting');
    expect(teams.botMessages('personal:bob').map((a) => a.current.text)).toEqual([
      'Your review of web 1.4.2 is waiting',
    ]);
    const tokens = teams.calls('getToken');
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((c) => c.status === 200)).toBe(true);
  });
});
