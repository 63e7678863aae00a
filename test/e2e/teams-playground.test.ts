import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLICK_TAKEN } from '../../src/chat/teams/transport.js';
import { tempDir } from '../support/engine-harness.js';
import { READ_CARDS } from '../support/playground/page-scripts.js';
import {
  type Card,
  type Playground,
  playgroundSetup,
  startPlayground,
} from '../support/playground.js';
import {
  type GatedDeploy,
  gatedDeploy,
  type SlipwayServer,
  startSlipwayServer,
  tail,
} from '../support/teams-slipway.js';

/**
 * Slipway (`serve`'s graph: settings from TEAMS_ANONYMOUS, slipway.yaml with `people:`, SQLite,
 * the command driver) in Microsoft's Agents Playground, its page driven in Debian's headless
 * Chromium. The page acts as Alice, an approver; Bob, the other approver, acts through the
 * Playground's own APIs. Screenshots of every step go to test-output/playground/.
 *
 * The deploy waits until the test releases it (gatedDeploy), so the card can be looked at while
 * the deployment runs on a machine of any speed.
 */

const setup = playgroundSetup({ currentUser: 'alice' });
const DEPLOYS = setup.team.channels.find((c) => c.name === 'deploys')?.id ?? '';
const TEAMS_CHANNEL = `teams:${DEPLOYS}`;

let slipway: SlipwayServer;
let pg: Playground;
let gate: GatedDeploy;

function person(key: string) {
  const found = setup.people[key];
  if (!found) throw new Error(`no Playground person ${key}`);
  return { teams: found.aadObjectId, name: found.name };
}

beforeAll(async () => {
  const dir = tempDir('slipway-playground-');
  gate = gatedDeploy(dir);
  slipway = await startSlipwayServer({
    dir,
    env: { TEAMS_ANONYMOUS: '1' },
    config: {
      people: { alice: person('alice'), bob: person('bob') },
      environments: [
        {
          name: 'production',
          order: 1,
          deployers: ['alice', 'bob'],
          // Either may approve, never their own request (four-eyes).
          approvals: { required: 1, from: ['alice', 'bob'] },
          review: false,
          verifyWindow: '5s',
        },
      ],
      services: [
        {
          name: 'api',
          channel: TEAMS_CHANNEL,
          driver: gate.binding,
          environments: { production: {} },
        },
      ],
    },
  });
  pg = await startPlayground({ botEndpoint: slipway.endpoint, currentUser: 'alice' });
  await pg.page.open();
}, 120_000);

// A test that failed midway leaves its deploy waiting: let it finish, so the next test's
// deployment of the same target is not queued behind it.
afterEach(async () => {
  for (const d of (await slipway?.history('api')) ?? []) {
    gate.release('api', d.environment, d.version);
  }
});

afterAll(async () => {
  await pg?.close();
  await slipway?.close();
});

/** Every card the page shows in the open chat whose text matches `pattern`. */
async function cardsMatching(pattern: RegExp): Promise<{ messageId: string; text: string }[]> {
  const cards = await pg.page
    .playwright()
    .evaluate<{ messageId: string; text: string }[]>(READ_CARDS);
  return cards.filter((c) => pattern.test(c.text));
}

/** Waits for the card `messageId` to show `pattern`: the same message, changed in place. */
async function sameCardShows(messageId: string, pattern: RegExp): Promise<Card> {
  const card = await pg.page.waitForCardText(pattern);
  expect(
    { messageId: card.messageId, text: card.text },
    `the card showing ${pattern} should be message ${messageId}, updated in place`,
  ).toMatchObject({ messageId });
  return card;
}

/** What Slipway answered a click in the page when it was a message: its text. */
function messageAnswer(answer: unknown): string {
  // The Playground hands the page the response's type and value (its statusCode stays behind).
  expect(answer, 'the invoke response the Playground got from Slipway').toMatchObject({
    type: 'application/vnd.microsoft.activity.message',
    value: expect.any(String),
  });
  return String((answer as { value: unknown }).value);
}

/** What Slipway answered a click in the page when it was a card: its title. */
function cardAnswer(answer: unknown): string {
  expect(answer, 'the invoke response the Playground got from Slipway').toMatchObject({
    type: 'application/vnd.microsoft.card.adaptive',
    value: { type: 'AdaptiveCard', body: expect.any(Array) },
  });
  const [title] = (answer as { value: { body: { text?: string }[] } }).value.body;
  return String(title?.text);
}

async function deployment(version: string) {
  const found = (await slipway.history('api')).find((d) => d.version === version);
  if (!found) {
    throw new Error(
      `expected a deployment of api ${version}; Slipway has ${JSON.stringify(
        (await slipway.history('api')).map((d) => d.version),
      )}\n${tail(slipway.logs())}`,
    );
  }
  return found;
}

async function waitForDeployment(version: string) {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    const found = (await slipway.history('api')).find((d) => d.version === version);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return deployment(version);
}

describe('Slipway in the Agents Playground', () => {
  it('Bob asks in the channel, Alice approves from her personal chat, the channel card ends deployed', async () => {
    await pg.injectMessage({
      from: 'bob',
      chat: 'channel:deploys',
      text: 'deploy api 1.2.3 to production',
    });
    const asked = await waitForDeployment('1.2.3');
    expect(asked).toMatchObject({
      requestedBy: 'bob',
      channel: TEAMS_CHANNEL,
      environment: 'production',
    });
    await slipway.waitState(asked.id, 'awaiting_approval');

    await pg.page.openChat('channel:deploys');
    const card = await pg.page.waitForCardText(
      /api 1\.2\.3 → production: waiting for approval[\s\S]*Requested by\s*Bob Baker/,
    );
    expect(card.buttons).toEqual(expect.arrayContaining(['Approve', 'Reject']));
    await pg.page.screenshot('dm-1-channel-card-waiting');

    await pg.page.openChat('personal');
    const request = await pg.page.waitForCardText(/Approval needed: api 1\.2\.3 → production/);
    expect(request.text).toContain('Bob Baker asked to deploy api 1.2.3 to production');
    expect(request.buttons).toEqual(['Approve', 'Reject']);
    await pg.page.screenshot('dm-2-approval-request');
    // Slipway keeps no card for an approver's request: the click is answered with a message,
    // and the request changes in place.
    const answer = await pg.page.clickCardButton('Approve', { messageId: request.messageId });
    expect(messageAnswer(answer)).toBe(CLICK_TAKEN);
    await slipway.waitState(asked.id, 'running');
    const decided = await sameCardShows(
      request.messageId,
      /api 1\.2\.3 → production: approved[\s\S]*Approved by Alice Archer/,
    );
    expect(decided.buttons).toEqual([]);
    await pg.page.screenshot('dm-3-approved');

    await pg.page.openChat('channel:deploys');
    const running = await sameCardShows(card.messageId, /api 1\.2\.3 → production: deploying/);
    expect(running.text).toMatch(/Approvals\s*1 of 1/);
    expect(running.buttons).not.toContain('Approve');
    await pg.page.screenshot('dm-4-channel-card-deploying');

    gate.release('api', 'production', '1.2.3');
    await slipway.waitState(asked.id, 'succeeded');
    await slipway.settled();
    const final = await sameCardShows(card.messageId, /api 1\.2\.3 → production: deployed/);
    expect(final.text).toContain('1.2.3 is live and healthy');
    await pg.page.screenshot('dm-5-channel-card-deployed');
    // One card for the deployment in the channel, changed in place from first to last.
    expect(await cardsMatching(/api 1\.2\.3 → production:/)).toEqual([
      expect.objectContaining({ messageId: card.messageId }),
    ]);

    await pg.page.openChat('personal');
    await sameCardShows(request.messageId, /api 1\.2\.3 → production[\s\S]*Now deployed/);
    await pg.page.screenshot('dm-6-approval-request-settled');
    expect(pg.page.consoleErrors()).toEqual([]);
  }, 120_000);

  it("Alice presses the channel card's Approve and sees the same card reach deployed", async () => {
    await pg.injectMessage({
      from: 'bob',
      chat: 'channel:deploys',
      text: 'deploy api 1.2.4 to production',
    });
    const asked = await waitForDeployment('1.2.4');
    await slipway.waitState(asked.id, 'awaiting_approval');

    await pg.page.openChat('channel:deploys');
    const card = await pg.page.waitForCardText(/api 1\.2\.4 → production: waiting for approval/);
    await pg.page.screenshot('card-1-waiting');
    // Her click is answered with the card as it stands; her view of the card still follows
    // Slipway's updates of the message afterwards.
    const answered = cardAnswer(
      await pg.page.clickCardButton('Approve', { messageId: card.messageId }),
    );
    expect(answered).toMatch(/api 1\.2\.4 → production/);
    await slipway.waitState(asked.id, 'running');
    const running = await sameCardShows(card.messageId, /api 1\.2\.4 → production: deploying/);
    expect(running.buttons).not.toContain('Approve');
    await pg.page.screenshot('card-2-deploying-for-the-clicker');

    gate.release('api', 'production', '1.2.4');
    await slipway.waitState(asked.id, 'succeeded');
    await slipway.settled();
    await sameCardShows(card.messageId, /api 1\.2\.4 → production: deployed/);
    await pg.page.screenshot('card-3-deployed-for-the-clicker');
    expect(await slipway.app.store.listApprovals(asked.id)).toEqual([
      expect.objectContaining({ approver: 'alice', verdict: 'approve' }),
    ]);
  }, 120_000);

  it('Alice asks by mentioning Slipway, may not approve it herself, and Bob does', async () => {
    await pg.page.openChat('channel:deploys');
    const post = await pg.page.mentionBot('deploy api 1.2.5 to production');
    expect(post.conversationId).toBe(`${DEPLOYS};messageid=${post.messageId}`);
    const asked = await waitForDeployment('1.2.5');
    expect(asked).toMatchObject({ requestedBy: 'alice', channel: TEAMS_CHANNEL });
    await slipway.waitState(asked.id, 'awaiting_approval');
    const card = await pg.page.waitForCardText(
      /api 1\.2\.5 → production: waiting for approval[\s\S]*Requested by\s*Alice Archer/,
    );
    await pg.page.screenshot('own-1-asked-by-mention');

    const refusal = messageAnswer(
      await pg.page.clickCardButton('Approve', { messageId: card.messageId }),
    );
    expect(refusal).toContain(
      'You requested this deployment of api to production, so someone else must approve it',
    );
    expect(await slipway.app.store.listApprovals(asked.id)).toEqual([]);
    expect((await deployment('1.2.5')).state).toBe('awaiting_approval');
    await pg.page.screenshot('own-2-refused-to-the-requester');

    const bobs = await pg.invokeAs('bob', {
      replyToId: card.messageId,
      conversationId: `${DEPLOYS};messageid=${card.messageId}`,
      verb: 'approve',
      data: { value: asked.id },
    });
    expect(cardAnswer(bobs)).toMatch(/api 1\.2\.5 → production/);
    await slipway.waitState(asked.id, 'running');
    await sameCardShows(card.messageId, /api 1\.2\.5 → production: deploying/);
    gate.release('api', 'production', '1.2.5');
    await slipway.waitState(asked.id, 'succeeded');
    await slipway.settled();
    const final = await sameCardShows(card.messageId, /api 1\.2\.5 → production: deployed/);
    expect(final.text).toMatch(/Approvals\s*1 of 1/);
    await pg.page.screenshot('own-3-approved-by-bob-deployed');
    expect(await slipway.app.store.listApprovals(asked.id)).toEqual([
      expect.objectContaining({ approver: 'bob', verdict: 'approve' }),
    ]);
  }, 120_000);
});
