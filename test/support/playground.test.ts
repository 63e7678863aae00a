import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type CardBot, startCardBot } from './playground/card-bot.js';
import { waitFor } from './playground/wait.js';
import { type Playground, playgroundSetup, startPlayground } from './playground.js';
import { freePort } from './ports.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

describe('the Agents Playground, driven in Chromium', () => {
  let bot: CardBot;
  let pg: Playground;

  beforeAll(async () => {
    bot = await startCardBot();
    pg = await startPlayground({ botEndpoint: bot.endpoint });
    await pg.page.open();
  }, 120_000);

  afterAll(async () => {
    await pg?.close();
    await bot?.close();
  });

  it('a mention in a channel gets a card whose button updates it in place', async () => {
    await pg.page.openChat('channel:deploys');
    const posted = await pg.page.mentionBot('deploy api to prod');
    expect(posted.conversationId).toBe(`${pg.channels.deploys?.id};messageid=${posted.messageId}`);
    const mention = await bot.waitForActivity(
      'the mention',
      (a) => a.type === 'message' && a.conversation?.id === posted.conversationId,
    );
    expect(mention.text).toBe('<at>Slipway</at> deploy api to prod');
    expect(mention.from).toEqual({
      id: '29:alice',
      name: 'Alice Archer',
      aadObjectId: pg.people.alice?.aadObjectId,
    });

    const card = await pg.page.waitForCardText(/deploy api to prod: waiting for approval/);
    expect(card.buttons).toEqual(['Approve']);
    const before = await pg.page.screenshot('channel-card');

    const answer = await pg.page.clickCardButton('Approve');
    expect(answer).toMatchObject({ value: 'Approval recorded' });
    // Only the bot's PUT says this: its invoke answer is a plain message, not a card.
    const updated = await pg.page.waitForCardText(/Approved by Alice Archer \(29:alice\)/);
    expect(updated.messageId).toBe(card.messageId);
    expect(updated.buttons).toEqual([]);
    expect(await updated.locator.textContent()).toContain('Approved by Alice Archer');
    expect((await pg.page.lastCard()).messageId).toBe(card.messageId);
    expect(bot.sent).toContainEqual({
      method: 'PUT',
      conversationId: posted.conversationId,
      status: 200,
      id: card.messageId,
    });
    const after = await pg.page.screenshot('channel-card-approved');

    expect(readFileSync(before).subarray(0, 4)).toEqual(PNG);
    expect(readFileSync(after).subarray(0, 4)).toEqual(PNG);
    expect(pg.page.consoleErrors()).toEqual([]);
  }, 90_000);

  it("another user's message and button press reach the bot as theirs, and the card updates", async () => {
    await pg.page.openChat('group');
    const injected = await pg.injectMessage({
      from: 'bob',
      chat: 'group',
      text: 'deploy web to staging',
    });
    const got = await bot.waitForActivity('Bob’s message', (a) => a.id === injected.id);
    expect(got.from).toEqual({
      id: '29:bob',
      name: 'Bob Baker',
      aadObjectId: pg.people.bob?.aadObjectId,
    });
    expect(got.conversation).toMatchObject({ id: pg.groupChat.id, conversationType: 'groupChat' });
    expect(got.text).toBe('<at>Slipway</at> deploy web to staging');

    const card = await pg.page.waitForCardText(/deploy web to staging: waiting for approval/);
    const answer = await pg.invokeAs('carol', {
      replyToId: card.messageId,
      conversationId: pg.groupChat.id,
      verb: 'approve',
      data: { deployment: 7 },
    });
    expect(answer).toMatchObject({ value: 'Approval recorded' });
    const invoke = await bot.waitForActivity(
      'Carol’s invoke',
      (a) => a.type === 'invoke' && a.from?.id === '29:carol',
    );
    expect(invoke).toMatchObject({
      name: 'adaptiveCard/action',
      replyToId: card.messageId,
      from: { id: '29:carol', name: 'Carol Chen', aadObjectId: pg.people.carol?.aadObjectId },
      value: { action: { type: 'Action.Execute', verb: 'approve', data: { deployment: 7 } } },
    });
    const updated = await pg.page.waitForCardText(/Approved by Carol Chen \(29:carol\)/);
    expect(updated.messageId).toBe(card.messageId);
    await pg.page.screenshot('group-card-approved-by-another-user');
  }, 90_000);

  it('another user posts in a channel, as a new thread or in a thread of the page', async () => {
    const post = await pg.injectMessage({
      from: 'dave',
      chat: 'channel:deploys',
      text: 'deploy db',
    });
    const thread = `${pg.channels.deploys?.id};messageid=${post.id}`;
    const got = await bot.waitForActivity('Dave’s post', (a) => a.id === post.id);
    expect(got.from?.id).toBe('29:dave');
    expect(got.conversation).toMatchObject({ id: thread, conversationType: 'channel' });
    expect(got.channelData).toMatchObject({ channel: { id: pg.channels.deploys?.id } });
    // The connector knows the new thread: the bot's reply in it is accepted.
    const sent = await waitFor(
      'the bot’s reply in the new thread',
      () => bot.sent.find((s) => s.conversationId === thread && s.method === 'POST'),
      { timeoutMs: 15_000, seen: () => JSON.stringify(bot.sent) },
    );
    expect(sent.status).toBe(201);

    await pg.page.openChat('channel:deploys');
    const root = await pg.page.send('release train 42');
    const reply = await pg.injectMessage({
      from: 'erin',
      chat: 'channel:deploys',
      text: 'deploy cache',
      thread: root.messageId,
    });
    const inThread = await bot.waitForActivity('Erin’s reply', (a) => a.id === reply.id);
    expect(inThread.conversation?.id).toBe(root.conversationId);
    expect(inThread.from?.id).toBe('29:erin');
    await pg.page.waitForCardText(/deploy cache: waiting for approval/);
    await pg.page.screenshot('channel-thread-reply-from-another-user');
  }, 90_000);

  it('a message in the personal chat needs no mention', async () => {
    await pg.page.openChat('personal');
    const sent = await pg.page.send('deploy worker to staging');
    expect(sent.conversationId).toBe(pg.personalChat.id);
    const got = await bot.waitForActivity(
      'the personal message',
      (a) => a.type === 'message' && a.text === 'deploy worker to staging',
    );
    expect(got.conversation).toMatchObject({
      id: pg.personalChat.id,
      conversationType: 'personal',
    });
    await pg.page.waitForCardText(/deploy worker to staging: waiting for approval/);
  }, 90_000);

  it('a wait that is not met fails saying what it awaited and what the page showed', async () => {
    await pg.page.openChat('channel:deploys');
    const waiting = pg.page.waitForCardText(/shipped to Mars/, { timeoutMs: 1_000 });
    await expect(waiting).rejects.toThrow(
      /a card showing \/shipped to Mars\/[\s\S]*cards:[\s\S]*page text:[\s\S]*Start a new post/,
    );
    const click = pg.page.clickCardButton('Launch', { timeoutMs: 1_000 });
    await expect(click).rejects.toThrow(/a card with a button "Launch"[\s\S]*page text:/);
  });
});

describe('starting the Agents Playground', () => {
  it('refuses a bot that does not answer, instead of a page that waits for it', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}/api/messages`;
    const start = startPlayground({ botEndpoint: endpoint, timeoutMs: 1_000 });
    await expect(start).rejects.toThrow(/the bot to answer HEAD .*start it before the Playground/);
  });

  it('runs with the people, bot and team a test names', async () => {
    const bot = await startCardBot();
    const pg = await startPlayground({
      botEndpoint: bot.endpoint,
      users: ['ops', { key: 'bob', name: 'Robert Tables' }],
      currentUser: 'bob',
      bot: { id: '28:release-bot', name: 'Release Bot' },
      team: { name: 'Payments', channel: 'releases' },
    });
    try {
      const res = await fetch(`${pg.url}_internal/v1/config`);
      const { config } = (await res.json()) as {
        config: {
          bot: { id: string };
          currentUser: { id: string; name: string };
          users: { id: string }[];
          teams: { name: string; channels: { id: string; name: string }[] }[];
        };
      };
      expect(config.bot.id).toBe('28:release-bot');
      expect(config.currentUser).toMatchObject({ id: '29:bob', name: 'Robert Tables' });
      expect(config.users.map((u) => u.id)).toEqual([
        '29:ops',
        '29:alice',
        '29:carol',
        '29:dave',
        '29:erin',
      ]);
      expect(config.teams[0]?.channels).toEqual([
        expect.objectContaining({ id: '19:general@thread.tacv2', name: 'General' }),
        expect.objectContaining({ id: '19:releases@thread.tacv2', name: 'releases' }),
      ]);
      expect(pg.serviceUrl).toBe(`http://localhost:${pg.port}/_connector`);
    } finally {
      await pg.close();
      await bot.close();
    }
  }, 60_000);
});

describe('playgroundSetup', () => {
  it('gives the same Teams-shaped ids for the same people', () => {
    const a = playgroundSetup({ users: ['alice', 'bob'] });
    const b = playgroundSetup({ users: ['bob', 'alice'], currentUser: 'alice' });
    expect(a.people.bob).toEqual(b.people.bob);
    expect(a.people.bob?.aadObjectId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(a.people.bob?.aadObjectId).not.toBe(a.people.alice?.aadObjectId);
    const yaml = parse(a.yaml) as { users: unknown[]; currentUser: { id: string } };
    expect(yaml.currentUser.id).toBe('29:alice');
    expect(yaml.users).toHaveLength(5);
  });

  it('refuses more people than the Playground takes, or a current user not among them', () => {
    const seven = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    expect(() => playgroundSetup({ users: seven })).toThrow(/current user and exactly 5 users/);
    expect(() => playgroundSetup({ currentUser: 'zed' })).toThrow(/currentUser "zed"/);
  });
});
