import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeReferences } from '../../src/chat/teams/index.js';
import { CLICK_TAKEN } from '../../src/chat/teams/transport.js';
import {
  type ActivityView,
  createLocalTeams,
  type LocalTeams,
} from '../../src/local-teams/index.js';
import { tempDir } from '../support/engine-harness.js';
import { type LoginRecorder, recordLoginSide } from '../support/teams-openid.js';
import {
  type GatedDeploy,
  gatedDeploy,
  type SlipwayServer,
  startSlipwayServer,
  tail,
} from '../support/teams-slipway.js';

/**
 * Slipway (`serve`'s graph: settings from TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT_ID and
 * the URLs of the login side, slipway.yaml with `people:`, SQLite, the command driver) against the
 * local Bot Connector (src/local-teams) in authenticated mode: every activity is signed with the
 * double's key, every call Slipway makes carries a token from the double's token endpoint.
 */

const APP_ID = '3f2b8c1e-7a4d-4e6f-9b0c-5d1e2f3a4b5c';
const APP_PASSWORD = 'connector-e2e-secret';

let teams: LocalTeams;
let login: LoginRecorder;
let slipway: SlipwayServer;
let gate: GatedDeploy;

const user = (key: string) => {
  const found = teams.directory.user(key);
  if (!found) throw new Error(`no user ${key} in the double`);
  return found;
};
const deploysId = () => teams.directory.channel('deploys')?.id ?? '';

beforeAll(async () => {
  teams = await createLocalTeams({
    appId: APP_ID,
    appPassword: APP_PASSWORD,
    users: [
      { key: 'alice', name: 'Alice Archer' },
      { key: 'bob', name: 'Bob Baker' },
      { key: 'carol', name: 'Carol Chen' },
    ],
    teams: [{ key: 'platform', name: 'Platform', channels: [{ key: 'deploys', name: 'deploys' }] }],
  });
  login = await recordLoginSide(teams.url);
  const dir = tempDir('slipway-connector-');
  gate = gatedDeploy(dir);
  const person = (key: string) => ({ teams: user(key).aadObjectId, name: user(key).name });
  slipway = await startSlipwayServer({
    dir,
    env: {
      TEAMS_APP_ID: APP_ID,
      TEAMS_APP_PASSWORD: APP_PASSWORD,
      TEAMS_TENANT_ID: teams.config.tenantId,
      TEAMS_OPENID_METADATA_URL: login.openIdMetadataUrl,
      TEAMS_LOGIN_URL: teams.loginEndpoint,
    },
    config: {
      people: { alice: person('alice'), bob: person('bob'), carol: person('carol') },
      environments: [
        {
          name: 'production',
          order: 1,
          deployers: ['carol'],
          approvals: { required: 1, from: ['alice', 'bob'] },
          review: false,
          verifyWindow: '5s',
        },
      ],
      services: [
        {
          name: 'api',
          channel: `teams:${deploysId()}`,
          driver: gate.binding,
          environments: { production: {} },
        },
      ],
    },
  });
  teams.setBotEndpoint(slipway.endpoint);
}, 60_000);

afterAll(async () => {
  await slipway?.close();
  await login?.close();
  await teams?.close();
});

/** The card's title as Teams shows it in notifications (`summary`), for each version. */
function titles(activity: ActivityView | undefined): string[] {
  return (activity?.versions ?? []).map((v) => String(v.summary ?? v.text ?? ''));
}

/** The bot's message in `conversation` whose current title matches `pattern`. */
function botMessage(conversation: string, pattern: RegExp): ActivityView | undefined {
  return teams.botMessages(conversation).find((a) => pattern.test(titles(a).at(-1) ?? ''));
}

async function waitForBotMessage(conversation: string, pattern: RegExp): Promise<ActivityView> {
  try {
    return await teams.waitFor(() => botMessage(conversation, pattern), 15_000);
  } catch (err) {
    const shown = teams.botMessages(conversation).map((a) => titles(a));
    throw new Error(
      `expected a message from Slipway in ${conversation} titled ${pattern}; it has ${JSON.stringify(shown)}\n${(err as Error).message}\n${tail(slipway.logs(), 3000)}`,
    );
  }
}

describe('Slipway against the local Bot Connector, authenticated', () => {
  it('refuses activities whose token is forged, expired, for another bot or from another issuer, doing nothing', async () => {
    const callsBefore = teams.calls().length;
    const bad = {
      forged: teams.mintToken({ forged: true }),
      expired: teams.mintToken({ expired: true }),
      'another audience': teams.mintToken({ audience: '0b6f2c9e-1111-4222-8333-944455556666' }),
      'another issuer': teams.mintToken({ issuer: 'https://sts.windows.net/evil/' }),
      'no token': null,
    };
    const answers: Record<string, number | undefined> = {};
    for (const [what, token] of Object.entries(bad)) {
      const sent = await teams.message({
        from: 'carol',
        in: 'deploys',
        text: `deploy api 6.6.6 to production (${what})`,
        token,
      });
      expect(sent.delivered, `the ${what} message reached Slipway`).toBe(true);
      answers[what] = sent.status;
    }
    expect(answers).toEqual({
      forged: 401,
      expired: 401,
      'another audience': 401,
      'another issuer': 401,
      'no token': 401,
    });
    // Nothing done: no deployment recorded, nothing posted, nothing learned about Carol or the
    // channel.
    expect(await slipway.history('api')).toEqual([]);
    await slipway.settled();
    expect(teams.calls().slice(callsBefore)).toEqual([]);
    expect(teams.botMessages()).toEqual([]);
    const references = storeReferences(slipway.app.store);
    expect(await references.member(`teams:${user('carol').aadObjectId}`)).toBeNull();
    expect(await references.conversation(deploysId())).toBeNull();
    // The signing keys were looked up where TEAMS_OPENID_METADATA_URL points.
    expect(login.requests()).toContainEqual({
      method: 'GET',
      path: '/v1/.well-known/keys',
      status: 200,
    });
  });

  it('takes a signed request, asks the approvers 1:1 where they installed the app, and keeps one card updated through 429 and 5xx until deployed', async () => {
    // Alice and Bob install the app for themselves: the only way Slipway learns their 1:1 chats.
    for (const key of ['alice', 'bob']) {
      const installed = await teams.installationUpdate({ from: key, action: 'add' });
      expect(installed.status, `${key}'s installation`).toBe(200);
    }
    // What it learned outlives the process.
    await slipway.restart();

    const asked = await teams.message({
      from: 'carol',
      in: 'deploys',
      text: 'deploy api 2.0.0 to production',
    });
    expect(asked.status).toBe(200);
    const d = await slipway.latest('api');
    expect(d).toMatchObject({
      version: '2.0.0',
      requestedBy: 'carol',
      channel: `teams:${deploysId()}`,
    });
    await slipway.waitState(d.id, 'awaiting_approval');
    const card = await waitForBotMessage(
      'deploys',
      /api 2\.0\.0 → production: waiting for approval/,
    );

    // Each approver's request arrives in the 1:1 chat their installation named, without
    // Slipway creating a conversation (it knew it from before the restart).
    const requests = await Promise.all(
      ['alice', 'bob'].map((key) =>
        waitForBotMessage(`personal:${key}`, /Approval needed: api 2\.0\.0 → production/),
      ),
    );
    expect(requests.map((r) => r.conversationId)).toEqual(
      ['alice', 'bob'].map((key) => teams.conversation(`personal:${key}`)?.id),
    );
    expect(teams.calls('createConversation')).toEqual([]);

    // The next update of the card is throttled, then fails twice.
    const cardPath = `PUT /v3/conversations/*/activities/${card.id}`;
    teams.faults.next(cardPath, { status: 429, retryAfterSec: 1 });
    teams.faults.next(cardPath, { status: 503, times: 2 });

    const [bobsRequest] = requests.slice(1);
    const pressed = await teams.pressCard({
      from: 'bob',
      activityId: bobsRequest?.id ?? '',
      verb: 'approve',
    });
    expect(pressed.shown).toEqual({ message: CLICK_TAKEN });
    await slipway.waitState(d.id, 'running');
    gate.release('api', 'production', '2.0.0');
    await slipway.waitState(d.id, 'succeeded');
    await slipway.settled();

    const final = teams.activity(card.id);
    const shown = titles(final);
    expect(shown.at(0)).toMatch(/api 2\.0\.0 → production: waiting for approval/);
    expect(shown.at(-1)).toMatch(/api 2\.0\.0 → production: deployed/);
    expect(JSON.stringify(final?.current.attachments)).toContain('2.0.0 is live and healthy');
    // One card in the channel, changed in place; anything else there is in its thread.
    const elsewhere = teams
      .botMessages('deploys')
      .filter((a) => a.id !== card.id && a.threadId !== card.id);
    expect(elsewhere.map((a) => titles(a))).toEqual([]);

    const cardCalls = teams.calls().filter((c) => c.activityId === card.id && c.method === 'PUT');
    expect(cardCalls.slice(0, 4).map((c) => c.status)).toEqual([429, 503, 503, 200]);
    expect(cardCalls.every((c) => c.operation === 'updateActivity')).toBe(true);
    expect(cardCalls.at(-1)?.status).toBe(200);
    const [throttled, afterThrottle] = cardCalls;
    // Retry-After: 1 was waited out before the next attempt.
    expect((afterThrottle?.at ?? 0) - (throttled?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(teams.faults.injected()).toEqual({ updateActivity: 3 });

    // Every connector call carried a token the double issued to this app.
    expect(teams.calls().filter((c) => c.status === 401)).toEqual([]);
    expect(teams.calls('getToken').map((c) => c.status)).toContain(200);
    expect(await slipway.app.store.listApprovals(d.id)).toEqual([
      expect.objectContaining({ approver: 'bob', verdict: 'approve' }),
    ]);
    // Both approvers' requests end up saying who decided, without buttons.
    for (const request of requests) {
      const now = teams.activity(request.id);
      expect(titles(now).length).toBeGreaterThan(1);
      expect(JSON.stringify(now?.current)).not.toContain('"verb":"approve"');
    }
  }, 90_000);
});
