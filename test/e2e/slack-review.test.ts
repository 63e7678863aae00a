import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/local-slack/index.js';
import { eventually, type SlackHarness, startSlackHarness } from '../support/slack-harness.js';

/**
 * The review flow of seeds/001 through the local Slack: a build lands on an environment that
 * has a next one, QA approve or reject it from a DM, and the owner promotes it (or cannot).
 * In the scenario config web goes staging → perf → production; production needs one QA
 * approval and its deploys come from #deploys (C-DEPLOYS).
 */
let h: SlackHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const hasButton = (m: Message | undefined, id: string) =>
  JSON.stringify(m?.blocks ?? []).includes(`"${id}"`);

async function dmWith(user: string, button: string): Promise<Message> {
  return eventually(() =>
    h?.slack
      .allMessages()
      .find((m) => m.channel === h?.slack.dmChannel(user) && hasButton(m, button)),
  );
}

async function buildOnPerf(version: string): Promise<string> {
  if (!h) throw new Error('no harness');
  await h.slack.slashCommand({ user: 'U-DEV1', channel: 'C-WEB', text: `web ${version} to perf` });
  const d = await h.latest('web');
  expect((await h.waitFinal(d.id)).state).toBe('succeeded');
  return d.id;
}

describe('seed-001 review flow over Slack', () => {
  it('QA approves, the owner promotes to production, and every message follows', async () => {
    h = await startSlackHarness({ mode: 'http', ms: 300 });
    const build = await buildOnPerf('1.4.2');
    const qa1 = await dmWith('U-QA1', 'review_approve');
    const qa2 = await dmWith('U-QA2', 'review_approve');
    const owner = await dmWith('U-DEV1', 'promote');
    expect(hasButton(owner, 'close')).toBe(true);

    await h.slack.clickButton({
      user: 'U-QA1',
      channel: qa1.channel,
      ts: qa1.ts,
      actionId: 'review_approve',
    });
    // The verdict: the QA message shows it, and it is threaded under the owner's message.
    await eventually(() => !hasButton(h?.slack.message(qa1.channel, qa1.ts), 'review_approve'));
    const reply = await eventually(() =>
      h?.slack.thread(owner.channel, owner.ts).find((m) => m.ts !== owner.ts),
    );
    expect(`${reply.text} ${JSON.stringify(reply.blocks ?? [])}`).toContain('U-QA1');

    await h.slack.clickButton({
      user: 'U-DEV1',
      channel: owner.channel,
      ts: owner.ts,
      actionId: 'promote',
    });
    const prod = await eventually(async () =>
      (await h?.app.engine.history({ service: 'web', environment: 'production' }))?.at(0),
    );
    expect(prod).toMatchObject({ version: '1.4.2', requestedBy: 'U-DEV1' });
    expect((await h.waitFinal(prod.id)).state).toBe('succeeded');
    // The QA approval given on perf counted for production: nobody was asked again.
    expect((await h.app.store.listApprovals(prod.id)).map((a) => a.approver)).toEqual(['U-QA1']);

    await h.settled();
    // Every review message lost its buttons once the build was promoted.
    for (const m of [qa1, qa2, owner]) {
      const now = h.slack.message(m.channel, m.ts);
      expect(hasButton(now, 'promote') || hasButton(now, 'review_approve')).toBe(false);
    }
    const said = (channel: string) =>
      h?.slack
        .history(channel)
        .map((m) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`)
        .join('\n') ?? '';
    expect(said('C-WEB')).toContain('web 1.4.2 → production: deployed');
    expect(`${said('C-WEB')}\n${said('C-DEPLOYS')}`).toMatch(/promoted/i);
    expect(build).not.toBe(prod.id);
  }, 90_000);

  it.each(['http', 'socket'] as const)(
    'a QA rejection asks why and stops the promotion: the owner reads the reason and keeps only Close (%s)',
    async (mode) => {
      h = await startSlackHarness({ mode, ms: 300 });
      const build = await buildOnPerf('1.5.0');
      const qa1 = await dmWith('U-QA1', 'review_reject');
      const qa2 = await dmWith('U-QA2', 'review_reject');
      const owner = await dmWith('U-DEV1', 'promote');
      await h.slack.clickButton({
        user: 'U-QA1',
        channel: qa1.channel,
        ts: qa1.ts,
        actionId: 'review_reject',
      });
      // Reject opens a form asking why; nothing is recorded before it is submitted.
      const [form] = await eventually(() => {
        const open = h?.slack.openViews('U-QA1') ?? [];
        return open.length > 0 ? open : null;
      });
      expect(JSON.stringify(form?.sent)).toContain('Why is it rejected?');
      expect(await h.app.store.listApprovals(build)).toEqual([]);
      const blank = await h.slack.submitView({ user: 'U-QA1', values: { reason: '  ' } });
      expect(blank).toMatchObject({
        closed: false,
        errors: { reason: expect.stringMatching(/why/) },
      });
      const reason = 'Login is broken on Safari <!channel>';
      const given = await h.slack.submitView({ user: 'U-QA1', values: { reason } });
      expect(given).toMatchObject({ closed: true, timedOut: false });
      expect(h.slack.openViews('U-QA1')).toEqual([]);

      const reply = await eventually(() =>
        h?.slack.thread(owner.channel, owner.ts).find((m) => m.ts !== owner.ts),
      );
      // The reason, escaped as Slack wants it: shown, and never a ping.
      const escaped = 'Login is broken on Safari &lt;!channel&gt;';
      expect(JSON.stringify(reply.blocks)).toContain(escaped);
      await h.settled();
      const now = h.slack.message(owner.channel, owner.ts);
      expect(hasButton(now, 'promote')).toBe(false);
      expect(hasButton(now, 'close')).toBe(true);
      expect(now?.text).toContain('rejected');
      expect(JSON.stringify(now?.blocks)).toContain(`Rejected by <@U-QA1>: ${escaped}.`);
      expect(JSON.stringify(h.slack.message(qa1.channel, qa1.ts)?.blocks)).toContain(escaped);
      // Nobody is left with a button that would act on it: the other QA's verdict changes nothing.
      expect(hasButton(h.slack.message(qa2.channel, qa2.ts), 'review_approve')).toBe(false);
      // A promotion from elsewhere (the API, an old client) is refused, saying why.
      const r = await h.app.engine.promote({
        deploymentId: build,
        actor: 'U-DEV1',
        channel: null,
        source: 'api',
      });
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.reason).toContain('rejected');
      expect(await h.app.engine.history({ service: 'web', environment: 'production' })).toEqual([]);

      await h.slack.clickButton({
        user: 'U-DEV1',
        channel: owner.channel,
        ts: owner.ts,
        actionId: 'close',
      });
      await eventually(() => !hasButton(h?.slack.message(owner.channel, owner.ts), 'close'));
    },
    90_000,
  );
});
