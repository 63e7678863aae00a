import { afterEach, describe, expect, it } from 'vitest';
import { createHandlingQueue } from '../../src/chat/handling-queue.js';
import { METHOD_SCOPES } from '../../src/chat/slack/manifest.js';
import { deploymentSubject } from '../../src/core/message-subject.js';
import type { Message } from '../../src/local-slack/index.js';
import { eventually, type SlackHarness, startSlackHarness } from '../support/slack-harness.js';

/**
 * Slipway end to end through the local Slack: signed requests in, Web API calls out, checked
 * against what a person would see in the channel, their DMs and ephemeral answers.
 */
let h: SlackHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function deploymentMessages(channel: string, title: string): Message[] {
  return (h?.slack.history(channel) ?? []).filter((m) => m.text.includes(title));
}

function revisions(m: Message): string[] {
  return [...m.history.map((r) => r.text), m.text];
}

describe.each(['http', 'socket'] as const)('Slack over %s', (mode) => {
  it('deploys from a slash command and keeps one message updated until it is deployed', async () => {
    h = await startSlackHarness({ mode });
    const delivery = await h.slack.slashCommand({
      user: 'U-DEV1',
      channel: 'C-WEB',
      text: 'web 1.4.2 to staging',
    });
    expect(delivery.timedOut).toBe(false);
    expect(delivery.error).toBeUndefined();
    if (mode === 'http') expect(delivery.status).toBe(200);

    const d = await h.latest('web');
    expect(d).toMatchObject({
      version: '1.4.2',
      environment: 'staging',
      requestedBy: 'U-DEV1',
      source: 'chat',
      channel: 'C-WEB',
    });
    expect((await h.waitFinal(d.id)).state).toBe('succeeded');
    await h.settled();

    const main = deploymentMessages('C-WEB', 'web 1.4.2 → staging');
    expect(main).toHaveLength(1);
    const texts = revisions(main[0] as Message);
    expect(texts.at(-1)).toContain('web 1.4.2 → staging: deployed');
    expect(texts.some((t) => t.includes('deploying'))).toBe(true);
    // The card is the channel's one message about it, and says who asked; the asker alone was
    // told the command was accepted.
    expect(h.slack.history('C-WEB')).toHaveLength(1);
    expect(JSON.stringify(main[0]?.blocks ?? [])).toContain('<@U-DEV1>');
    const accepted = await eventually(() => h?.slack.ephemerals('U-DEV1').at(0));
    expect(accepted.text).toContain('<@U-DEV1> asked to deploy web 1.4.2 to staging');
    // Every Web API method Slipway used is covered by the manifest's scopes.
    for (const call of h.slack.calls()) expect(Object.keys(METHOD_SCOPES)).toContain(call.method);
  });

  it('refuses commands in their acknowledgement while its backlog is full, doing nothing with them', async () => {
    // One command handled at a time, two may wait; the test holds the one slot, as a long
    // handler would.
    const queue = createHandlingQueue({ concurrency: 1, backlog: 2 });
    let free = () => {};
    const held = queue.run(() => new Promise<void>((resolve) => (free = resolve)));
    // The longest answer window Slack's 3 s allow, so the two waiting are still within theirs
    // when the slot is freed (one not handled within it is refused too: inbound.test.ts).
    h = await startSlackHarness({ mode, ms: 200, handlingQueue: queue, answerWithinMs: 2_000 });
    const send = (version: string) =>
      h?.slack.slashCommand({
        user: 'U-DEV1',
        channel: 'C-WEB',
        text: `web ${version} to staging`,
      });
    // Two wait for the slot, their acknowledgements held open for their answers...
    const waiting = ['5.0.1', '5.0.2'].map((version) => send(version));
    await eventually(() => (queue.waiting() === 2 ? true : undefined));
    // ...and the next two find the backlog full: refused at once, one after the other.
    for (const version of ['5.0.3', '5.0.4']) {
      const delivery = await send(version);
      expect(delivery?.timedOut).toBe(false);
    }
    const busy = await eventually(() => {
      const list = (h?.slack.ephemerals('U-DEV1') ?? []).filter((e) => e.text.includes('busy'));
      return list.length === 2 ? list : undefined;
    });
    expect(busy.map((e) => [e.source, e.text])).toEqual([
      [
        'command_response',
        expect.stringMatching(
          /^Slipway is busy: 2 requests are waiting ahead of yours\. Nothing was done with `web 5\.0\.3 to staging`/,
        ),
      ],
      ['command_response', expect.stringMatching(/Nothing was done with `web 5\.0\.4 to staging`/)],
    ]);
    const versions = async () =>
      (await (h as SlackHarness).app.engine.history({ service: 'web', limit: 10 }))
        .map((d) => d.version)
        .sort();
    expect(await versions()).toEqual([]);
    // The slot is free: the two waiting are handled and recorded; the two refused are not.
    free();
    await held;
    for (const delivery of await Promise.all(waiting)) expect(delivery?.timedOut).toBe(false);
    await eventually(async () => ((await versions()).length === 2 ? true : undefined));
    expect(await versions()).toEqual(['5.0.1', '5.0.2']);
    const metrics = await h.app.metrics.scrape();
    expect(metrics).toMatch(/^slipway_chat_commands_refused_busy_total 2$/m);
    // Sent again once there is room, a refused command is handled.
    await send('5.0.4');
    await eventually(async () => ((await versions()).includes('5.0.4') ? true : undefined));
  });

  it('answers refusals and usage errors to the sender only', async () => {
    h = await startSlackHarness({ mode });
    await h.slack.slashCommand({
      user: 'U-OUTSIDER',
      channel: 'C-WEB',
      text: 'web 1.0.0 to staging',
    });
    await h.slack.slashCommand({
      user: 'U-DEV1',
      channel: 'C-RANDOM',
      text: 'web 1.0.0 to production',
    });
    await h.slack.slashCommand({ user: 'U-DEV1', channel: 'C-WEB', text: 'wbe 1.0.0 to staging' });
    const outsider = await eventually(() => h?.slack.ephemerals('U-OUTSIDER').at(0));
    expect(outsider.text.toLowerCase()).toContain('staging');
    const dev = await eventually(() => {
      const list = h?.slack.ephemerals('U-DEV1') ?? [];
      return list.length >= 2 ? list : null;
    });
    const all = dev.map((e) => `${e.text} ${JSON.stringify(e.blocks ?? [])}`).join('\n');
    expect(all).toContain('C-DEPLOYS');
    expect(all).toContain('web');
    expect(await h.app.engine.history({})).toEqual([]);
    // Nothing was said in the channels.
    expect(h.slack.history('C-WEB')).toEqual([]);
    expect(h.slack.history('C-RANDOM')).toEqual([]);
  });

  it('answers a command in its acknowledgement when it can, else through the response_url', async () => {
    h = await startSlackHarness({ mode });
    const usage = { user: 'U-DEV1', channel: 'C-WEB', text: 'web' };
    await h.slack.slashCommand(usage);
    const first = await eventually(() => h?.slack.ephemerals('U-DEV1').at(0));
    expect(first.source).toBe('command_response');
    expect(first.text).toMatch(/usage|version/i);
    await h.close();

    // Never waiting, the acknowledgement goes out empty and the same answer follows.
    h = await startSlackHarness({ mode, answerWithinMs: 0 });
    await h.slack.slashCommand(usage);
    const later = await eventually(() => h?.slack.ephemerals('U-DEV1').at(0));
    expect(later.source).toBe('response_url');
    expect(later.text).toBe(first.text);
  });
});

describe('Slack safety and limits', () => {
  it('refuses forged and stale requests with 401 and does nothing', async () => {
    h = await startSlackHarness({ mode: 'http' });
    const forged = await h.slack.slashCommand({
      user: 'U-DEV1',
      channel: 'C-WEB',
      text: 'web 6.6.6 to staging',
      forge: 'signature',
    });
    const stale = await h.slack.slashCommand({
      user: 'U-DEV1',
      channel: 'C-WEB',
      text: 'web 6.6.6 to staging',
      forge: 'stale',
    });
    expect(forged.status).toBe(401);
    expect(stale.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await h.app.engine.history({})).toEqual([]);
    expect(h.slack.calls().filter((c) => c.method.startsWith('chat.'))).toEqual([]);
  });

  it('acts once on a retried mention', async () => {
    h = await startSlackHarness({ mode: 'http' });
    const result = await h.slack.mention({
      user: 'U-DEV1',
      channel: 'C-WEB',
      text: 'deploy web 2.0.0 to staging',
      retry: { count: 2, reason: 'http_timeout' },
    });
    expect(result.eventId).toBeTruthy();
    await eventually(
      () => h?.slack.deliveries().filter((d) => d.kind === 'events_api').length === 3,
    );
    const d = await h.latest('web');
    await h.waitFinal(d.id);
    expect(await h.app.engine.history({ service: 'web' })).toHaveLength(1);
  });

  it('asks approvers by DM, and a double click approves once', async () => {
    h = await startSlackHarness({ mode: 'http', ms: 300 });
    await h.slack.slashCommand({
      user: 'U-DEV1',
      channel: 'C-DEPLOYS',
      text: 'web 3.0.0 to production',
    });
    const d = await h.latest('web');
    expect(d.state).toBe('awaiting_approval');
    const ask = await eventually(() =>
      h?.slack
        .allMessages()
        .find(
          (m) =>
            m.channel.startsWith('D') &&
            m.channel === h?.slack.dmChannel('U-QA1') &&
            JSON.stringify(m.blocks ?? []).includes('"approve"'),
        ),
    );
    const dm = ask.channel;
    // The requester is never asked to approve their own deployment.
    const asked = await eventually(() => {
      const list =
        h?.slack
          .allMessages()
          .filter(
            (m) =>
              m.channel.startsWith('D') && JSON.stringify(m.blocks ?? []).includes('"approve"'),
          ) ?? [];
      return list.length >= 2 ? list : null;
    });
    expect(asked.map((m) => m.channel).sort()).toEqual(
      [h.slack.dmChannel('U-QA1'), h.slack.dmChannel('U-QA2')].sort(),
    );

    const first = await h.slack.clickButton({
      user: 'U-QA1',
      channel: dm,
      ts: ask.ts,
      actionId: 'approve',
    });
    const second = await h.slack.clickButton({
      user: 'U-QA1',
      channel: dm,
      ts: ask.ts,
      actionId: 'approve',
    });
    expect(first.timedOut || second.timedOut).toBe(false);
    // A click is acknowledged once its handling is under way or done: the approval may land
    // after both acknowledgements.
    await eventually(async () => (await h?.app.engine.get(d.id))?.state !== 'awaiting_approval');
    expect((await h.waitFinal(d.id)).state).toBe('succeeded');
    expect(await h.app.store.listApprovals(d.id)).toHaveLength(1);
    // The second click is answered to the clicker alone, and changes nothing.
    const answer = await eventually(() => h?.slack.ephemerals('U-QA1').at(0));
    expect(`${answer.text} ${JSON.stringify(answer.blocks ?? [])}`).toMatch(
      /already|Nothing to approve/,
    );
    // The card is in the service's channel and, once, in #deploys where it was asked; the
    // asker was told privately where to follow it.
    expect(
      h.slack.calls().filter((c) => c.method === 'chat.postMessage' && c.channel === 'C-WEB')
        .length,
    ).toBeGreaterThan(0);
    expect(h.slack.history('C-DEPLOYS').map((m) => m.text)).toEqual([
      expect.stringContaining('web 3.0.0 → production'),
    ]);
    expect(h.slack.ephemerals('U-DEV1').map((e) => e.text)).toContainEqual(
      expect.stringContaining('<@U-DEV1> asked to deploy web 3.0.0 to production'),
    );
    await h.settled();
    // The DM no longer offers buttons once the deployment moved on.
    const closed = h.slack.message(dm, ask.ts);
    expect(JSON.stringify(closed?.blocks ?? [])).not.toContain('"approve"');
  });

  it('posts the deployment message once when Slack answers after the timeout', async () => {
    h = await startSlackHarness({ mode: 'http', chatTimeoutMs: 300 });
    // Slack stores each of the first two posts but answers after Slipway gave up on them.
    h.slack.faults.delay('chat.postMessage', 900, { when: 'after', times: 2 });
    await h.slack.slashCommand({ user: 'U-DEV1', channel: 'C-WEB', text: 'web 1.4.2 to staging' });
    const d = await h.latest('web');
    expect((await h.waitFinal(d.id)).state).toBe('succeeded');
    await h.settled();

    expect(h.slack.history('C-WEB')).toHaveLength(1);
    const main = deploymentMessages('C-WEB', 'web 1.4.2 → staging');
    expect(main).toHaveLength(1);
    expect(main[0]?.text).toContain('web 1.4.2 → staging: deployed');
    const [record] = (await h.app.store.listPostedMessages(deploymentSubject(d.id))).filter(
      (m) => m.purpose === 'main',
    );
    expect(record?.ts).toBe(main[0]?.ts);
    expect(h.slack.calls('conversations.history').length).toBeGreaterThan(0);
  }, 60_000);

  it('delivers every final message exactly once through 30% injected 429s and 5xx', async () => {
    h = await startSlackHarness({ mode: 'http', ms: 300 });
    h.slack.faults.chaos({ rate: 0.3, seed: 42, statuses: [429, 500, 503], retryAfterSec: 1 });
    const versions = ['7.0.0', '7.0.1', '7.0.2'];
    for (const [i, version] of versions.entries()) {
      const service = i === 1 ? 'api' : 'web';
      const environment = i === 2 ? 'perf' : 'staging';
      const channel = service === 'api' ? 'C-API' : 'C-WEB';
      await h.slack.slashCommand({
        user: service === 'api' ? 'U-DEV2' : 'U-DEV1',
        channel,
        text: `${service} ${version} to ${environment}`,
      });
    }
    const deployments = await eventually(async () => {
      const all = (await h?.app.engine.history({})) ?? [];
      return all.length === 3 ? all : null;
    });
    for (const d of deployments) expect((await h.waitFinal(d.id, 60_000)).state).toBe('succeeded');
    await eventually(async () => {
      await h?.settled();
      return deployments.every((d) => {
        const channel = d.service === 'api' ? 'C-API' : 'C-WEB';
        const main = deploymentMessages(channel, `${d.service} ${d.version} → ${d.environment}`);
        return main.length === 1 && main[0]?.text.includes('deployed');
      });
    }, 60_000);
    expect(Object.values(h.slack.faults.injected()).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 120_000);
});
