import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSlack, type LocalSlack, type Message } from '../../src/local-slack/index.js';
import {
  type ActivityView,
  createLocalTeams,
  type LocalTeams,
} from '../../src/local-teams/index.js';
import { commandBinding, tempDir } from '../support/engine-harness.js';
import { type SlipwayServer, startSlipwayServer, tail } from '../support/teams-slipway.js';

/**
 * One Slipway with the local Slack and the local Bot Connector at once: a service whose cards go
 * to a Slack channel and a Teams channel, and people listed under `people:` with an id on each.
 * Ana asks in Slack; Ben approves in Teams; both cards follow the deployment to its end. Ana is
 * the same person in Teams, so she may not approve there what she asked for in Slack.
 */

const APP_ID = '5c7d9e1f-2a3b-4c5d-8e6f-7a8b9c0d1e2f';
const ANA = 'U-ANA';
const BEN = 'U-BEN';
const SLACK_CHANNEL = 'C-DEPLOYS';

let slack: LocalSlack;
let teams: LocalTeams;
let slipway: SlipwayServer;

const teamsUser = (key: string) => {
  const found = teams.directory.user(key);
  if (!found) throw new Error(`no user ${key} in the Teams double`);
  return found;
};
const teamsChannel = () => teams.directory.channel('deploys')?.id ?? '';

beforeAll(async () => {
  slack = createLocalSlack({
    channels: [{ id: SLACK_CHANNEL, name: 'deploys', members: [ANA, BEN] }],
    users: [
      { id: ANA, name: 'ana', realName: 'Ana Lima' },
      { id: BEN, name: 'ben', realName: 'Ben Okafor' },
    ],
    signingSecret: 'cross-platform-signing-secret',
  });
  const { apiUrl } = await slack.start();
  teams = await createLocalTeams({
    appId: APP_ID,
    users: [
      { key: 'ana', name: 'Ana Lima' },
      { key: 'ben', name: 'Ben Okafor' },
    ],
    teams: [{ key: 'platform', name: 'Platform', channels: [{ key: 'deploys', name: 'deploys' }] }],
  });
  const dir = tempDir('slipway-cross-platform-');
  slipway = await startSlipwayServer({
    dir,
    env: {
      SLACK_BOT_TOKEN: slack.config.botToken,
      SLACK_SIGNING_SECRET: slack.config.signingSecret,
      SLACK_API_URL: apiUrl,
      TEAMS_APP_ID: APP_ID,
      TEAMS_APP_PASSWORD: teams.config.appPassword,
      TEAMS_TENANT_ID: teams.config.tenantId,
      TEAMS_OPENID_METADATA_URL: teams.openIdMetadataUrl,
      TEAMS_LOGIN_URL: teams.loginEndpoint,
    },
    config: {
      people: {
        ana: { slack: ANA, teams: teamsUser('ana').aadObjectId, name: 'Ana Lima' },
        ben: { slack: BEN, teams: teamsUser('ben').aadObjectId, name: 'Ben Okafor' },
      },
      environments: [
        {
          name: 'production',
          order: 1,
          deployers: ['ana', 'ben'],
          approvals: { required: 1, from: ['ana', 'ben'] },
          review: false,
          verifyWindow: '5s',
        },
      ],
      services: [
        {
          name: 'api',
          channels: { slack: SLACK_CHANNEL, teams: teamsChannel() },
          driver: commandBinding(join(dir, 'targets'), 300),
          environments: { production: {} },
        },
      ],
    },
  });
  slack.setDelivery({ mode: 'http', requestUrl: `${slipway.url}/slack/events` });
  teams.setBotEndpoint(slipway.endpoint);
  // Installing the app in the team is how Slipway learns where the Teams channel lives.
  const installed = await teams.installationUpdate({ from: 'ben', in: 'deploys', action: 'add' });
  expect(installed.status, 'the team installation reached Slipway').toBe(200);
}, 60_000);

afterAll(async () => {
  await slipway?.close();
  await teams?.close();
  await slack?.stop();
});

const TITLE = /api 3\.1\.0 → production/;

function slackCard(): Message | undefined {
  return slack.history(SLACK_CHANNEL).find((m) => TITLE.test(m.text));
}

function slackTexts(m: Message | undefined): string[] {
  return m ? [...m.history.map((r) => r.text), m.text] : [];
}

/** The card's title as Teams shows it in notifications (`summary`), for each version. */
function teamsTitles(a: ActivityView | undefined): string[] {
  return (a?.versions ?? []).map((v) => String(v.summary ?? ''));
}

/** The value of the card's fact `title` (its FactSet), as the current version shows it. */
function fact(a: ActivityView | undefined, title: string): string | undefined {
  const cards = (a?.current.attachments ?? []) as { content?: { body?: unknown[] } }[];
  const facts = cards
    .flatMap((c) => c.content?.body ?? [])
    .flatMap((b) =>
      (b as { type?: string }).type === 'FactSet'
        ? (b as { facts: { title: string; value: string }[] }).facts
        : [],
    );
  return facts.find((f) => f.title === title)?.value;
}

function teamsCard(): ActivityView | undefined {
  return teams
    .botMessages('deploys')
    .find((a) => a.threadId === a.id && TITLE.test(teamsTitles(a)[0] ?? ''));
}

async function bothCards(): Promise<{ slack: Message; teams: ActivityView }> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    const s = slackCard();
    const t = teamsCard();
    if (s && t) return { slack: s, teams: t };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `expected a card about api 3.1.0 in Slack's ${SLACK_CHANNEL} and in the Teams channel; ` +
      `Slack has ${JSON.stringify(slack.history(SLACK_CHANNEL).map((m) => m.text))}, ` +
      `Teams has ${JSON.stringify(teams.botMessages('deploys').map(teamsTitles))}\n${tail(slipway.logs(), 3000)}`,
  );
}

describe('Slack and Teams on one Slipway', () => {
  it('Ana asks in Slack, may not approve from Teams, Ben approves in Teams, and both cards end deployed', async () => {
    const asked = await slack.slashCommand({
      user: ANA,
      channel: SLACK_CHANNEL,
      text: 'api 3.1.0 to production',
    });
    expect(asked.status).toBe(200);
    const d = await slipway.latest('api');
    expect(d).toMatchObject({ version: '3.1.0', requestedBy: 'ana', channel: SLACK_CHANNEL });
    await slipway.waitState(d.id, 'awaiting_approval');
    const cards = await bothCards();
    expect(slackTexts(cards.slack).at(-1)).toMatch(
      /api 3\.1\.0 → production: waiting for approval/,
    );
    expect(teamsTitles(cards.teams).at(-1)).toMatch(
      /api 3\.1\.0 → production: waiting for approval/,
    );
    // Ana is one person on both platforms: the Teams card names her as the config does, though
    // she never wrote to Slipway in Teams. (Soft, so the rest still runs when it fails.)
    expect
      .soft(
        fact(cards.teams, 'Requested by'),
        "the Teams card's Requested by, before Ana used Teams",
      )
      .toBe('Ana Lima');

    // Ana, in Teams, presses Approve on her own request: refused, and only she is told.
    await slipway.settled();
    const teamsBefore = teams.botMessages().length;
    const slackBefore = slack.allMessages().length;
    const own = await teams.pressCard({ from: 'ana', activityId: cards.teams.id, verb: 'approve' });
    expect(own.shown.message, 'what Ana sees after pressing Approve').toEqual(
      expect.stringContaining(
        'You requested this deployment of api to production, so someone else must approve it',
      ),
    );
    expect(await slipway.app.store.listApprovals(d.id)).toEqual([]);
    expect((await slipway.app.store.getDeployment(d.id))?.state).toBe('awaiting_approval');
    await slipway.settled();
    expect(teams.botMessages().length, 'messages Slipway posted in Teams after the refusal').toBe(
      teamsBefore,
    );
    expect(slack.allMessages().length, 'messages Slipway posted in Slack after the refusal').toBe(
      slackBefore,
    );

    const bens = await teams.pressCard({
      from: 'ben',
      activityId: cards.teams.id,
      verb: 'approve',
    });
    // Ben sees the card as it stands at once; everyone sees it change after.
    expect(JSON.stringify(bens.shown.card), 'what Ben sees after pressing Approve').toMatch(
      /api 3\.1\.0 → production/,
    );
    await slipway.waitState(d.id, 'succeeded');
    await slipway.settled();
    expect(await slipway.app.store.listApprovals(d.id)).toEqual([
      expect.objectContaining({ approver: 'ben', verdict: 'approve' }),
    ]);

    // Both cards changed in place to the end.
    const slackFinal = slack.message(SLACK_CHANNEL, cards.slack.ts);
    expect(slackTexts(slackFinal).at(-1)).toMatch(/api 3\.1\.0 → production: deployed/);
    expect(slack.history(SLACK_CHANNEL).filter((m) => TITLE.test(m.text))).toHaveLength(1);
    const teamsFinal = teams.activity(cards.teams.id);
    expect(teamsTitles(teamsFinal).at(-1)).toMatch(/api 3\.1\.0 → production: deployed/);
    expect(JSON.stringify(teamsFinal?.current.attachments)).toContain('3.1.0 is live and healthy');
    expect(
      teams.botMessages('deploys').filter((a) => a.threadId === a.id && a.id !== cards.teams.id),
      'other posts of Slipway in the Teams channel (the card is the only one)',
    ).toEqual([]);
    // Each card's thread says who approved, as its platform shows people.
    expect(slack.thread(SLACK_CHANNEL, cards.slack.ts).map((m) => m.text)).toContain(
      `✅ <@${BEN}> approved api 3.1.0 for production`,
    );
    expect(teams.thread('deploys', cards.teams.id).map((a) => teamsTitles(a).at(-1))).toContain(
      '✅ Ben Okafor approved api 3.1.0 for production',
    );
    expect(fact(teamsFinal, 'Requested by')).toBe('Ana Lima');
  }, 60_000);
});
