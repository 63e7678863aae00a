import { beforeEach, describe, expect, it } from 'vitest';
import {
  ALICE_TEAMS,
  BOB_TEAMS,
  CAROL_TEAMS,
  configFrom,
  STRANGER,
} from '../config/test-support/config.js';
import { NotFoundError } from '../core/errors.js';
import { createChatRouter, PlatformNotConfiguredError } from './router.js';
import { createRecordingChat, type RecordingChat } from './test-support/recording-chat.js';
import type { ChatClient, ChatLimits, MessageView } from './types.js';

const TEAMS_CHANNEL = 'teams:19:web@thread.tacv2';

const CONFIG = configFrom(`
people:
  alice: { slack: U0ALICE01, teams: ${ALICE_TEAMS}, name: Alice Doe }
  bob: { teams: ${BOB_TEAMS}, name: Bob <B> }
  carol: { slack: U0CAROL01, teams: ${CAROL_TEAMS}, direct: teams }
  dan: { slack: U0DAN0001 }
environments: [{ name: production, order: 0 }]
services:
  - name: web
    owners: [alice, bob, carol, dan, U0OTHER01, "${STRANGER}"]
    channels: { slack: C0WEB, teams: "19:web@thread.tacv2" }
    driver: { driver: command, options: { deploy: [x] } }
`);

// Teams' documented limits are the Teams adapter's to state; these only have to differ.
const TEAMS_LIMITS: ChatLimits = {
  messageText: 2_000,
  buttonValue: 4_000,
  buttonsPerRow: 6,
  buttonsPerMessage: 6,
  threads: false,
  ephemeral: false,
  forms: false,
};

let slack: RecordingChat;
let teams: RecordingChat;
/** What userName was asked, by platform, and what it knows. */
let asked: string[];
const KNOWN: Record<string, string> = {
  U0DAN0001: 'Dan from Slack',
  [STRANGER]: 'A Teams stranger',
};

function withNames(chat: RecordingChat, platform: string, limits?: ChatLimits): ChatClient {
  const { openModal: _none, ...teamsLike } = chat.client;
  return {
    ...(platform === 'teams' ? teamsLike : chat.client),
    ...(limits ? { limits } : {}),
    async userName(user: string) {
      asked.push(`${platform}:${user}`);
      return KNOWN[user] ?? null;
    },
  };
}

beforeEach(() => {
  slack = createRecordingChat();
  teams = createRecordingChat();
  asked = [];
});

function router(which: { slack?: boolean; teams?: boolean } = { slack: true, teams: true }) {
  return createChatRouter(CONFIG, {
    ...(which.slack ? { slack: withNames(slack, 'slack') } : {}),
    ...(which.teams ? { teams: withNames(teams, 'teams', TEAMS_LIMITS) } : {}),
  });
}

const VIEW: MessageView = {
  title: '<@alice> deployed web 1.4.2',
  tone: 'success',
  body: 'Approved by <@bob> and <@dan>; <@U0OTHER01> and <@teams:aaaaaaaa-0000-4000-8000-000000000000> watched.',
  fields: [{ label: 'Requested by', value: '<@U0ALICE01|alice>' }],
  context: ['<@carol> · correlation abc'],
};

describe('the chat router', () => {
  it("posts to the platform the channel is on, with people mentioned in Slack's form", async () => {
    const ref = await router().post('C0WEB', VIEW);
    expect(ref.channel).toBe('C0WEB');
    expect(teams.calls).toEqual([]);
    const [call] = slack.callsOf('post');
    expect(call?.view).toEqual({
      title: '<@U0ALICE01> deployed web 1.4.2',
      tone: 'success',
      body: 'Approved by Bob &lt;B&gt; and <@U0DAN0001>; <@U0OTHER01> and teams:aaaaaaaa-0000-4000-8000-000000000000 watched.',
      fields: [{ label: 'Requested by', value: '<@U0ALICE01|alice>' }],
      context: ['<@U0CAROL01> · correlation abc'],
    });
  });

  it("posts to a Teams channel with mentions in Teams' form, or by name where someone is not on Teams", async () => {
    await router().post(TEAMS_CHANNEL, VIEW, { threadTs: '17' });
    expect(slack.calls).toEqual([]);
    const [call] = teams.callsOf('post');
    expect(call).toMatchObject({ channel: TEAMS_CHANNEL, threadTs: '17' });
    expect(call?.view?.title).toBe(`<@teams:${ALICE_TEAMS}> deployed web 1.4.2`);
    expect(call?.view?.body).toBe(
      `Approved by <@teams:${BOB_TEAMS}> and dan; U0OTHER01 and <@${STRANGER}> watched.`,
    );
    expect(call?.view?.fields?.[0]?.value).toBe(`<@teams:${ALICE_TEAMS}|alice>`);
  });

  it('updates a message where it was posted', async () => {
    const chat = router();
    const ref = await chat.post(TEAMS_CHANNEL, { title: 'x', tone: 'neutral' });
    await chat.update(ref, { title: 'by <@carol>', tone: 'success' });
    expect(teams.callsOf('update')[0]?.view?.title).toBe(`by <@teams:${CAROL_TEAMS}>`);
    expect(slack.calls).toEqual([]);
  });

  it("shows a private answer to the person's account on that platform", async () => {
    const chat = router();
    await chat.postEphemeral('C0WEB', 'alice', VIEW);
    await chat.postEphemeral(TEAMS_CHANNEL, 'alice', VIEW);
    await chat.postEphemeral(TEAMS_CHANNEL, STRANGER, VIEW);
    expect(slack.callsOf('postEphemeral').map((c) => c.user)).toEqual(['U0ALICE01']);
    expect(teams.callsOf('postEphemeral').map((c) => c.user)).toEqual([
      `teams:${ALICE_TEAMS}`,
      STRANGER,
    ]);
    await expect(chat.postEphemeral('C0WEB', 'bob', VIEW)).rejects.toThrow(NotFoundError);
    await expect(chat.postEphemeral('C0WEB', 'bob', VIEW)).rejects.toThrow(
      'add "slack" under people.bob',
    );
    expect(slack.callsOf('postEphemeral')).toHaveLength(1);
  });

  it('opens direct messages where people want them: Slack by default, else as configured', async () => {
    const chat = router();
    expect(await chat.openDirect('alice')).toBe('D-U0ALICE01');
    expect(await chat.openDirect('carol')).toBe(`D-teams:${CAROL_TEAMS}`);
    expect(await chat.openDirect('bob')).toBe(`D-teams:${BOB_TEAMS}`);
    expect(await chat.openDirect('U0OTHER01')).toBe('D-U0OTHER01');
    expect(await chat.openDirect(STRANGER)).toBe(`D-${STRANGER}`);
    // Someone listed, named by a platform id, is still that person.
    expect(await chat.openDirect(`teams:${CAROL_TEAMS}`)).toBe(`D-teams:${CAROL_TEAMS}`);
    expect(slack.callsOf('openDirect').map((c) => c.user)).toEqual(['U0ALICE01', 'U0OTHER01']);
    await expect(chat.openDirect('operator')).rejects.toThrow('has no chat account');
  });

  it('reaches someone on their other platform when their preferred one is not connected', async () => {
    const slackOnly = router({ slack: true });
    expect(await slackOnly.openDirect('carol')).toBe('D-U0CAROL01');
    await expect(slackOnly.openDirect('bob')).rejects.toThrow(PlatformNotConfiguredError);
    await expect(slackOnly.post(TEAMS_CHANNEL, VIEW)).rejects.toThrow(
      `Slipway cannot reach ${TEAMS_CHANNEL} on Teams: it is not connected to Teams. Connect it, or change slipway.yaml to use Slack.`,
    );
    expect(slack.calls.map((c) => c.method)).toEqual(['openDirect']);
  });

  it("names people from the config first, else asks the platform they are on, with that platform's id", async () => {
    const chat = router();
    expect(await chat.userName?.('alice')).toBe('Alice Doe');
    expect(await chat.userName?.('U0ALICE01')).toBe('Alice Doe');
    expect(await chat.userName?.('dan')).toBe('Dan from Slack');
    expect(await chat.userName?.(STRANGER)).toBe('A Teams stranger');
    expect(await chat.userName?.('carol')).toBeNull();
    expect(await chat.userName?.('operator')).toBeNull();
    expect(asked).toEqual([
      'slack:U0DAN0001',
      `teams:${STRANGER}`,
      `teams:teams:${CAROL_TEAMS}`,
      'slack:U0CAROL01',
    ]);
  });

  it('states the strictest limits of the connected platforms, and each platform its own', () => {
    const both = router();
    expect(both.limits).toEqual({
      messageText: 2_000,
      buttonValue: 2_000,
      buttonsPerRow: 6,
      buttonsPerMessage: 6,
      threads: false,
      ephemeral: false,
      forms: false,
    });
    expect(both.limitsFor(TEAMS_CHANNEL)).toBe(TEAMS_LIMITS);
    expect(both.limitsFor('C0WEB')).toEqual(slack.client.limits);
    expect(router({ slack: true }).limits).toEqual(slack.client.limits);
  });

  it('opens forms on the platform of the message clicked, and answers response URLs on Slack', async () => {
    const chat = router();
    await chat.openModal?.('trigger-1', {
      actionId: 'review_reject',
      value: 'd1',
      origin: { channel: 'D0ALICE', ts: '1.1' },
      title: 'Reject',
      submit: 'Reject',
      cancel: 'Cancel',
      body: 'Tell <@alice> why',
      inputs: [{ id: 'reason', label: 'Why' }],
    });
    expect(slack.callsOf('openModal')[0]?.modal?.body).toBe('Tell <@U0ALICE01> why');
    await expect(
      chat.openModal?.('trigger-2', {
        actionId: 'review_reject',
        value: 'd1',
        origin: { channel: TEAMS_CHANNEL, ts: '2' },
        title: 'Reject',
        submit: 'Reject',
        cancel: 'Cancel',
        inputs: [],
      }),
    ).rejects.toThrow('Teams has no forms');
    await chat.respond('https://hooks.slack.com/actions/1', VIEW, { ephemeral: true });
    expect(slack.callsOf('respond')[0]?.view?.title).toBe('<@U0ALICE01> deployed web 1.4.2');
    expect(router({ teams: true }).openModal).toBeUndefined();
  });

  it('needs at least one platform', () => {
    expect(() => createChatRouter(CONFIG, {})).toThrow('at least one chat platform');
  });
});
