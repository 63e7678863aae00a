import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
import type { CallRecord, Message } from '../../src/local-slack/index.js';
import { buildBody, signed } from '../../src/webhooks/build/test-support/hook-server.js';
import { eventually, type SlackHarness, startSlackHarness } from '../support/slack-harness.js';

/**
 * How many Web API calls Slipway makes for the flows people run every day, counted by the local
 * Slack per method. A deployment is one card, posted when it runs and updated in place; one that
 * never ran (superseded in the queue) costs nothing; review direct messages go only where a
 * review is configured, and a newer build updates them instead of sending new ones.
 */
let h: SlackHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

type Counts = Record<string, number>;

function countsOf(calls: readonly CallRecord[]): Counts {
  const counts: Counts = {};
  for (const c of calls) counts[c.method] = (counts[c.method] ?? 0) + 1;
  return counts;
}

const chatCalls = (counts: Counts) =>
  Object.entries(counts)
    .filter(([method]) => method.startsWith('chat.'))
    .reduce((sum, [, n]) => sum + n, 0);

/** The calls made from now on, for one flow. */
function meter(harness: SlackHarness) {
  const from = harness.slack.calls().length;
  return {
    calls: () => harness.slack.calls().slice(from),
    counts: () => countsOf(harness.slack.calls().slice(from)),
  };
}

function report(flow: string, counts: Counts, extra = ''): void {
  const list = Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([method, n]) => `${method} ${n}`)
    .join(', ');
  process.stdout.write(`[message-count] ${flow}: ${list || 'no calls'}${extra}\n`);
}

/** A parent message carries its own ts as thread_ts once it has replies, as in Slack. */
const topLevel = (harness: SlackHarness, channel: string): Message[] =>
  harness.slack.history(channel).filter((m) => !m.threadTs || m.threadTs === m.ts);

const hasButton = (m: Message | undefined, id: string) =>
  JSON.stringify(m?.blocks ?? []).includes(`"${id}"`);

async function deploy(harness: SlackHarness, user: string, channel: string, text: string) {
  await harness.slack.slashCommand({ user, channel, text });
  const service = text.split(' ')[0] ?? '';
  const d = await harness.latest(service);
  return harness.waitFinal(d.id, 60_000);
}

describe('chat calls per flow, counted by the local Slack', () => {
  it('a simple deploy: one card, posted and updated, at most 3 chat calls', async () => {
    h = await startSlackHarness({ mode: 'http', ms: 300 });
    const m = meter(h);
    // api has no QA: nobody is asked to review it.
    const d = await deploy(h, 'U-DEV2', 'C-API', 'api 1.0.0 to staging');
    expect(d.state).toBe('succeeded');
    await h.settled();
    const counts = m.counts();
    report('simple deploy', counts);
    expect(counts['chat.postMessage']).toBe(1);
    expect(chatCalls(counts)).toBeLessThanOrEqual(3);
    expect(counts['conversations.open'] ?? 0).toBe(0);
    const [card, ...others] = topLevel(h, 'C-API');
    expect(others).toEqual([]);
    expect(card?.text).toContain('api 1.0.0 → staging: deployed');
    expect(JSON.stringify(card?.blocks)).toContain('<@U-DEV2>');
  }, 60_000);

  it('a failed deploy that is rolled back: one card, its output in the thread', async () => {
    h = await startSlackHarness({ mode: 'http', ms: 300 });
    await deploy(h, 'U-DEV2', 'C-API', 'api 1.0.0 to staging');
    await h.settled();
    const m = meter(h);
    const before = topLevel(h, 'C-API').length;
    const d = await deploy(h, 'U-DEV2', 'C-API', 'api 1.0.1-bad to staging');
    expect(['rolled_back', 'failed']).toContain(d.state);
    await h.settled();
    const counts = m.counts();
    report('failed deploy with rollback', counts, ` (ended ${d.state})`);
    expect(counts['chat.postMessage'] ?? 0).toBeGreaterThanOrEqual(2);
    expect(chatCalls(counts)).toBeLessThanOrEqual(6);
    const cards = topLevel(h, 'C-API');
    expect(cards).toHaveLength(before + 1);
    const card = cards.at(-1);
    expect(card?.text).toMatch(/api 1\.0\.1-bad → staging: (rolled back|failed)/);
    const thread = h.slack.thread('C-API', card?.ts ?? '').filter((r) => r.ts !== card?.ts);
    expect(thread.map((r) => `${r.text} ${JSON.stringify(r.blocks ?? [])}`).join('\n')).toContain(
      'crashed on start',
    );
  }, 60_000);

  it('the seed-001 review: build on perf, QA approves, the owner promotes to production', async () => {
    h = await startSlackHarness({ mode: 'http', ms: 300 });
    const m = meter(h);
    const build = await deploy(h, 'U-DEV1', 'C-WEB', 'web 1.4.2 to perf');
    const dm = (user: string, button: string) =>
      eventually(() =>
        h?.slack
          .allMessages()
          .find((x) => x.channel === h?.slack.dmChannel(user) && hasButton(x, button)),
      );
    const qa1 = await dm('U-QA1', 'review_approve');
    const qa2 = await dm('U-QA2', 'review_approve');
    const owner = await dm('U-DEV1', 'promote');
    await h.slack.clickButton({
      user: 'U-QA1',
      channel: qa1.channel,
      ts: qa1.ts,
      actionId: 'review_approve',
    });
    await eventually(() => !hasButton(h?.slack.message(qa1.channel, qa1.ts), 'review_approve'));
    await h.slack.clickButton({
      user: 'U-DEV1',
      channel: owner.channel,
      ts: owner.ts,
      actionId: 'promote',
    });
    const prod = await eventually(async () =>
      (await h?.app.engine.history({ service: 'web', environment: 'production' }))?.at(0),
    );
    expect((await h.waitFinal(prod.id, 60_000)).state).toBe('succeeded');
    await h.settled();
    const counts = m.counts();
    report('seed-001 review', counts);

    // One card per deployment that ran (perf, production) in #web; the promotion is announced
    // once in #deploys, the channel production's deploys count as coming from.
    const cards = topLevel(h as SlackHarness, 'C-WEB');
    expect(cards.map((c) => c.text)).toEqual([
      expect.stringContaining('web 1.4.2 → perf: deployed'),
      expect.stringContaining('web 1.4.2 → production: deployed'),
    ]);
    expect(topLevel(h as SlackHarness, 'C-DEPLOYS')).toHaveLength(1);
    // One direct message each for QA1, QA2 and the owner; none left with a live button.
    for (const message of [qa1, qa2, owner]) {
      const now = h.slack.message(message.channel, message.ts);
      for (const id of ['promote', 'close', 'review_approve', 'review_reject'])
        expect(hasButton(now, id), `${message.channel} ${id}`).toBe(false);
    }
    const dms = h.slack
      .allMessages()
      .filter((x) => x.channel.startsWith('D') && (!x.threadTs || x.threadTs === x.ts));
    expect(dms).toHaveLength(3);
    expect(counts['chat.postMessage']).toBeLessThanOrEqual(8);
    expect(chatCalls(counts)).toBeLessThanOrEqual(24);
    expect(build.id).not.toBe(prod.id);
  }, 120_000);

  it('a burst of 200 builds to one target: calls grow with the builds that ran, not with 200', async () => {
    h = await startSlackHarness({
      mode: 'http',
      ms: 300,
      webhookSecret: 'count-secret',
      config: (input) => ({
        ...input,
        autoDeploy: [{ service: 'web', type: 'branch', pattern: 'main', environment: 'staging' }],
      }),
    });
    const m = meter(h);
    const url = `${h.url}/hooks/build`;
    const N = 200;
    for (let i = 1; i <= N; i++) {
      const body = buildBody({
        service: 'web',
        image: `registry.test/web:b${String(i).padStart(3, '0')}`,
        type: 'branch',
        target: 'main',
        commit: `c0ffee${i}`,
      });
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...signed(body, 'count-secret') },
      });
      expect(res.status).toBe(202);
    }
    const all = await eventually(async () => {
      const list = (await h?.app.store.listDeployments({ service: 'web', limit: 1000 })) ?? [];
      const open = list.filter((d) => !['succeeded', 'superseded', 'failed'].includes(d.state));
      return list.length === N && open.length === 0 ? list : null;
    }, 120_000);
    await h.settled();
    const ran = all.filter((d: Deployment) => d.startedAt !== null);
    const counts = m.counts();
    report(`burst of ${N} builds`, counts, ` (${ran.length} ran)`);

    expect(ran.length).toBeGreaterThan(0);
    expect(ran.length).toBeLessThan(N / 4);
    // One card per build that ran, none for the superseded ones.
    expect(topLevel(h as SlackHarness, 'C-WEB')).toHaveLength(ran.length);
    // The review's direct messages (QA1, QA2, the owner) are posted once and updated after.
    const posts = counts['chat.postMessage'] ?? 0;
    expect(posts).toBeLessThanOrEqual(ran.length + 3);
    expect(chatCalls(counts)).toBeLessThanOrEqual(ran.length * 6 + 10);
    for (const user of ['U-QA1', 'U-QA2', 'U-DEV1']) {
      const inbox = topLevel(h, h.slack.dmChannel(user) ?? '');
      expect(inbox, `${user}'s direct messages`).toHaveLength(1);
    }
  }, 240_000);
});
