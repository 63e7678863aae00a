import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Harness, requestWeb, startHarness } from '../../test/support/engine-harness.js';
import type { Config } from '../config/schema.js';
import type { Deployment } from '../core/deployment.js';
import { RetryableError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { deploymentSubject } from '../core/message-subject.js';
import { createNotifier, type Notifier, type NotifierOptions } from './notifier.js';
import { createRecordingChat, type RecordingChat } from './test-support/recording-chat.js';

const INTERVAL = 250;
const log = createLogger({ level: 'silent' });
let h: Harness | null = null;
const notifiers: Notifier[] = [];

afterEach(async () => {
  await Promise.all(notifiers.splice(0).map((n) => n.stop()));
  await h?.close();
  h = null;
});

/** The scenario config, with web's messages going to #web (C-WEB) and api without a channel. */
function withChannel(config: Config): Config {
  return {
    ...config,
    services: config.services.map((s) => {
      if (s.name === 'web') return { ...s, channel: 'C-WEB', channels: ['C-WEB'] };
      const { channel: _none, ...rest } = s;
      return { ...rest, channels: [] };
    }),
  };
}

/** The deployment's message in its service's channel, as the store recorded it. */
async function mainRecords(harness: Harness, id: string) {
  return (await harness.app.store.listPostedMessages(deploymentSubject(id))).filter(
    (m) => m.purpose === 'main',
  );
}

function notifier(
  harness: Harness,
  chat: RecordingChat,
  options: NotifierOptions = {},
  logger = log,
): Notifier {
  const n = createNotifier(
    {
      events: harness.app.engine.events,
      store: harness.app.store,
      chat: chat.client,
      config: withChannel(harness.app.config),
      log: logger,
      // As the app wires it: the command driver keeps its runs' output for `slipway logs`.
      keepsOutput: (driver) => driver === 'command',
    },
    { minUpdateIntervalMs: INTERVAL, retryBaseMs: 50, ...options },
  );
  n.start();
  notifiers.push(n);
  return n;
}

async function request(
  harness: Harness,
  environment: string,
  version = '1.4.2',
): Promise<Deployment> {
  return requestWeb(harness.app, {
    channel: environment === 'production' ? 'C-DEPLOYS' : 'C-WEB',
    environment,
    version,
  });
}

/** The calls made on one message: its post, then its updates. */
function callsOn(chat: RecordingChat, ts: string) {
  const post = chat.calls.find(
    (c) =>
      c.method === 'post' &&
      c.threadTs === undefined &&
      chat.messages.some((m) => m.ts === ts && m.versions[0] === c.view),
  );
  return [post, ...chat.calls.filter((c) => c.method === 'update' && c.ts === ts)].filter(
    (c) => c !== undefined,
  );
}

describe('notifier', () => {
  it('keeps one message per deployment, updated at most once per interval, ending on the final state', async () => {
    h = await startHarness({ ms: 900 });
    const chat = createRecordingChat();
    const n = notifier(h, chat);
    const d = await request(h, 'staging');
    expect((await h.waitFinal(d.id)).state).toBe('succeeded');
    await n.idle();

    const [main, ...others] = chat.inChannel('C-WEB');
    expect(others).toEqual([]);
    if (!main) throw new Error('no message in #web');
    const final = chat.latest(main);
    expect(final.title).toBe('web 1.4.2 → staging: deployed');
    expect(final.tone).toBe('success');
    expect(final.body).toContain('1.4.2 is live and healthy');

    const calls = callsOn(chat, main.ts);
    expect(calls[0]?.method).toBe('post');
    for (let i = 1; i < calls.length; i++) {
      expect((calls[i]?.at ?? 0) - (calls[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(INTERVAL - 5);
    }
    const span = (calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0);
    const updates = calls.length - 1;
    expect(updates).toBeGreaterThanOrEqual(1);
    expect(updates).toBeLessThanOrEqual(Math.floor(span / (INTERVAL - 5)));
    // The views in between went through the lifecycle; none regressed after the final one.
    expect(main.versions.map((v) => v.title)).toContain('web 1.4.2 → staging: deploying');

    // The card says it all: a one-line success needs no thread reply.
    expect(chat.thread(main)).toEqual([]);
    expect(await mainRecords(h, d.id)).toMatchObject([
      { purpose: 'main', channel: 'C-WEB', ts: main.ts },
    ]);
  });

  it('coalesces a burst of 50 progress events into a few updates, the latest winning', async () => {
    h = await startHarness({ start: false });
    const chat = createRecordingChat();
    const n = notifier(h, chat);
    const d = await request(h, 'staging');
    const running = await h.app.store.transition(d.id, ['queued'], 'running', { actor: 'slipway' });
    if (!running) throw new Error('could not start the deployment');
    // As the worker says it: a queued request has no card yet, a running one gets it.
    h.app.engine.events.emit({
      type: 'transition',
      deployment: running,
      transition: { from: 'queued', to: 'running', actor: 'slipway', reason: null },
    });
    // Spread over about 1.5 intervals: without pacing, that would be dozens of updates.
    const started = Date.now();
    for (let i = 1; i <= 50; i++) {
      const text = `ready ${i} of 50`;
      await h.app.store.patchDeployment(d.id, { progress: text });
      h.app.engine.events.emit({
        type: 'progress',
        deployment: { ...running, progress: text },
        text,
      });
      await new Promise((resolve) => setTimeout(resolve, 7));
    }
    expect(Date.now() - started).toBeGreaterThan(INTERVAL);
    await n.idle();
    const [main] = chat.inChannel('C-WEB');
    if (!main) throw new Error('no message in #web');
    expect(chat.inChannel('C-WEB')).toHaveLength(1);
    expect(chat.callsOf('update').length).toBeLessThanOrEqual(3);
    expect(chat.latest(main)).toMatchObject({
      title: 'web 1.4.2 → staging: deploying',
      body: 'ready 50 of 50',
    });
  });

  it('retries a failed first post without ever posting a second main message', async () => {
    h = await startHarness({ start: false });
    const chat = createRecordingChat();
    chat.failNext(
      'post',
      () => new RetryableError('Slack answered chat.postMessage with HTTP 503'),
      2,
    );
    const n = notifier(h, chat);
    // Waiting for approval, it gets its card at once (a queued one waits until it runs).
    const d = await request(h, 'production');
    // No further event comes: only the retry can deliver the message.
    await n.idle();
    const top = chat.inChannel('C-WEB');
    expect(top).toHaveLength(1);
    expect(chat.latest(top[0] as (typeof top)[number]).title).toBe(
      'web 1.4.2 → production: waiting for approval',
    );
    // The approvers' direct messages share the two failures: the card's post failed at least once.
    expect(
      chat.callsOf('post').filter((c) => c.channel === 'C-WEB' && !c.threadTs).length,
    ).toBeGreaterThanOrEqual(2);

    await h.app.engine.verdict({
      deploymentId: d.id,
      actor: 'U-QA1',
      channel: 'C-DEPLOYS',
      source: 'chat',
      verdict: 'approve',
    });
    h.app.engine.start();
    await h.waitFinal(d.id);
    await n.idle();
    expect(chat.inChannel('C-WEB')).toHaveLength(1);
    expect(chat.latest(top[0] as (typeof top)[number]).title).toBe(
      'web 1.4.2 → production: deployed',
    );
    expect(await mainRecords(h, d.id)).toMatchObject([{ purpose: 'main', ts: top[0]?.ts }]);
  });

  it('logs trouble with an approver’s message under the deployment’s ids', async () => {
    h = await startHarness();
    const chat = createRecordingChat();
    chat.failNext(
      'openDirect',
      () => new RetryableError('Slack answered conversations.open with HTTP 503'),
      1,
    );
    const lines: Record<string, unknown>[] = [];
    const captured = createLogger(
      { level: 'warn' },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    const n = notifier(h, chat, {}, captured);
    const d = await request(h, 'production');
    await n.idle();
    const failed = lines.filter((l) => l.msg === 'chat message call failed; retrying');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ deployment: d.id, correlationId: d.correlationId });
    // Retried: both approvers were asked in the end.
    expect(chat.inChannel('D-U-QA1').length + chat.inChannel('D-U-QA2').length).toBe(2);
  });

  it('gives the last updates at most their time at a stop, and logs the cards left behind', async () => {
    h = await startHarness({ start: false });
    const chat = createRecordingChat();
    // Every post waits, as one waiting out Slack's Retry-After after Retry-After does.
    const releases = Array.from({ length: 10 }, () => chat.holdNext('post'));
    const lines: Record<string, unknown>[] = [];
    const captured = createLogger(
      { level: 'warn' },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    const n = notifier(h, chat, {}, captured);
    // Waiting for approval: its card and the approvers' messages are posted at once.
    const d = await request(h, 'production');
    await vi.waitFor(() => expect(chat.callsOf('post').length).toBeGreaterThanOrEqual(1));

    const stoppedAt = Date.now();
    await n.stop({ withinMs: 300 });
    const stoppedIn = Date.now() - stoppedAt;
    for (const release of releases) release();
    expect(stoppedIn).toBeLessThan(2_000);
    const left = lines.filter((l) => String(l.msg).includes('chat updates left undelivered'));
    // Its card in #web and the one in #deploys, where it was asked for.
    expect(left).toEqual([
      expect.objectContaining({ withinMs: 300, cards: 2, deployments: [d.id] }),
    ]);
    // Closed: a post that lands after the stop changes nothing more, and nothing is retried.
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL));
    expect(chat.callsOf('update')).toEqual([]);
    // Recorded for the next start to bring up to date.
    expect(await h.app.store.listOwedCardUpdates(10)).toEqual([d.id]);
  });

  it('brings up to date at start the cards a stop left showing an earlier state', async () => {
    h = await startHarness({ ms: 50, start: false });
    const chat = createRecordingChat();
    // Slack refuses every update with a rate limit while `limited`.
    let limited = false;
    const client = {
      ...chat.client,
      update: async (...args: Parameters<typeof chat.client.update>) => {
        if (limited) throw new RetryableError('Slack rate-limited chat.update; retry in 5s', 5_000);
        return chat.client.update(...args);
      },
    };
    const n = notifier(h, { ...chat, client });
    const d = await request(h, 'staging');
    limited = true;
    h.app.engine.start();
    await h.waitFinal(d.id);
    await vi.waitFor(() => expect(chat.inChannel('C-WEB')).toHaveLength(1));
    await n.stop({ withinMs: 100 });
    const [card] = chat.inChannel('C-WEB');
    if (!card) throw new Error('no card');
    expect(chat.latest(card).title).not.toContain('deployed');
    expect(await h.app.store.listOwedCardUpdates(10)).toEqual([d.id]);

    // The next process: its card says what happened, and nothing is owed any more.
    limited = false;
    const next = notifier(h, chat);
    await next.caughtUp();
    expect(chat.inChannel('C-WEB')).toHaveLength(1);
    expect(chat.latest(card).title).toBe('web 1.4.2 → staging: deployed');
    expect(await h.app.store.listOwedCardUpdates(10)).toEqual([]);
  });

  it('forgets a finished deployment’s messages after forgetAfterMs', async () => {
    h = await startHarness({ ms: 50 });
    const n = notifier(h, createRecordingChat(), { forgetAfterMs: 200 });
    for (const version of ['1.0.1', '1.0.2']) {
      await h.waitFinal((await request(h, 'staging', version)).id);
    }
    await n.idle();
    expect(n.kept()).toBe(2);
    // Forgetting is looked at with the next event, at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await h.waitFinal((await request(h, 'staging', '1.0.3')).id);
    await n.idle();
    // 1.0.1 is gone; 1.0.3, and 1.0.2 again, whose review 1.0.3 ended (web's builds are reviewed
    // in staging): a late event tracks a deployment anew.
    expect(n.kept()).toBe(2);
  });

  it('keeps at most maxFinished finished deployments’ messages, however recent', async () => {
    h = await startHarness({ ms: 50 });
    const n = notifier(h, createRecordingChat(), { forgetAfterMs: 3_600_000, maxFinished: 2 });
    for (const version of ['1.0.1', '1.0.2', '1.0.3', '1.0.4']) {
      await h.waitFinal((await request(h, 'staging', version)).id);
    }
    await n.idle();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await h.waitFinal((await request(h, 'staging', '1.0.5')).id);
    // Two finished ones, and the one that just ran (finished too, once a second has passed).
    expect(n.kept()).toBeLessThanOrEqual(3);
  });

  it('posts one main message when two replicas share the store', async () => {
    h = await startHarness();
    // Slow answers, so one replica reserves the message while the other is still posting it.
    const chat = createRecordingChat({ delayMs: 40 });
    const a = notifier(h, chat);
    const b = notifier(h, chat);
    const d = await request(h, 'staging');
    await h.waitFinal(d.id);
    await Promise.all([a.idle(), b.idle()]);
    const top = chat.inChannel('C-WEB');
    expect(top).toHaveLength(1);
    expect(chat.latest(top[0] as (typeof top)[number]).title).toBe('web 1.4.2 → staging: deployed');
  });

  it('asks each approver in a direct message and closes every request after the verdict, across a restart', async () => {
    h = await startHarness();
    const chat = createRecordingChat();
    const first = notifier(h, chat);
    const d = await request(h, 'production');
    expect(d.state).toBe('awaiting_approval');
    await first.idle();

    expect(
      chat
        .callsOf('openDirect')
        .map((c) => c.user)
        .sort(),
    ).toEqual(['U-QA1', 'U-QA2']);
    for (const user of ['U-QA1', 'U-QA2']) {
      const [dm, ...more] = chat.inChannel(`D-${user}`);
      expect(more).toEqual([]);
      expect(dm && chat.latest(dm).actions?.map((a) => [a.id, a.value])).toEqual([
        ['approve', d.id],
        ['reject', d.id],
      ]);
    }
    const [main] = chat.inChannel('C-WEB');
    if (!main) throw new Error('no message in #web');
    expect(chat.latest(main).title).toBe('web 1.4.2 → production: waiting for approval');

    // A restart: a new notifier knows the messages only from the store.
    await first.stop();
    const second = notifier(h, chat);
    const verdict = await h.app.engine.verdict({
      deploymentId: d.id,
      actor: 'U-QA1',
      channel: 'D-U-QA1',
      source: 'chat',
      verdict: 'approve',
    });
    expect(verdict.ok).toBe(true);
    expect((await h.waitFinal(d.id)).state).toBe('succeeded');
    await second.idle();

    expect(chat.inChannel('C-WEB')).toHaveLength(1);
    expect(chat.latest(main).title).toBe('web 1.4.2 → production: deployed');
    for (const user of ['U-QA1', 'U-QA2']) {
      const dms = chat.inChannel(`D-${user}`);
      expect(dms).toHaveLength(1);
      const latest = chat.latest(dms[0] as (typeof dms)[number]);
      expect(latest.actions).toBeUndefined();
      expect(latest.body).toContain('Approved by <@U-QA1>');
      // The end, not what was true when the approval came in.
      expect(latest.body).toContain('Now deployed');
      expect(latest.body).not.toContain('It is deploying');
    }
    const replies = chat.thread(main).map((m) => chat.latest(m).title);
    expect(replies).toContain('<@U-QA1> approved web 1.4.2 for production');
    // The approval is told before the card moves on to what followed from it.
    const order = chat.calls.map((c) => c.view?.title ?? '');
    const approvedAt = order.indexOf('<@U-QA1> approved web 1.4.2 for production');
    const deployedAt = order.indexOf('web 1.4.2 → production: deployed');
    expect(approvedAt).toBeGreaterThanOrEqual(0);
    expect(approvedAt).toBeLessThan(deployedAt);
    const purposes = (await h.app.store.listPostedMessages(deploymentSubject(d.id))).map((m) => [
      m.purpose,
      m.ts !== null,
    ]);
    // The card in #web, and its copy in #deploys where the deploy was asked.
    expect(purposes.sort()).toEqual([
      ['approver:U-QA1', true],
      ['approver:U-QA2', true],
      ['main', true],
      ['origin', true],
    ]);
  });

  it('keeps the card in every channel of the service (Slack and Teams), details in each thread, and renders it again for whoever asks by its ref', async () => {
    h = await startHarness();
    const chat = createRecordingChat();
    const teamsChannel = 'teams:19:web@thread.tacv2';
    const config = withChannel(h.app.config);
    const n = createNotifier(
      {
        events: h.app.engine.events,
        store: h.app.store,
        chat: chat.client,
        config: {
          ...config,
          services: config.services.map((s) =>
            s.name === 'web' ? { ...s, channels: ['C-WEB', teamsChannel] } : s,
          ),
        },
        log,
        keepsOutput: () => true,
      },
      { minUpdateIntervalMs: INTERVAL, retryBaseMs: 50 },
    );
    n.start();
    notifiers.push(n);
    const bad = await request(h, 'staging', '1.4.3-bad');
    const final = await h.waitFinal(bad.id);
    await n.idle();
    const [slack] = chat.inChannel('C-WEB');
    const [teams] = chat.inChannel(teamsChannel);
    if (!slack || !teams) throw new Error(`cards in ${chat.messages.map((m) => m.channel)}`);
    const ended = final.state === 'rolled_back' ? 'rolled back' : 'failed';
    expect(chat.latest(slack).title).toBe(`web 1.4.3-bad → staging: ${ended}`);
    expect(chat.latest(teams)).toEqual(chat.latest(slack));
    for (const card of [slack, teams]) {
      const thread = chat.thread(card).map((m) => chat.latest(m));
      const texts = thread.map((v) => `${v.title}\n${v.body ?? ''}`);
      expect(texts.some((t) => t.includes('crashed on start'))).toBe(true);
    }
    expect((await mainRecords(h, bad.id)).map((m) => m.channel).sort()).toEqual([
      'C-WEB',
      teamsChannel,
    ]);
    // A Teams client refreshing the card, or answering the person who pressed a button on it.
    const view = await n.currentView({ channel: teamsChannel, ts: teams.ts });
    expect(view?.title).toBe(`web 1.4.3-bad → staging: ${ended}`);
    expect(await n.currentView({ channel: teamsChannel, ts: 'no-such-message' })).toBeNull();
  });

  it('replies with a failure’s output in the thread and skips services without a channel', async () => {
    h = await startHarness();
    const chat = createRecordingChat();
    const n = notifier(h, chat);
    const bad = await request(h, 'staging', '1.4.3-bad');
    // From the CLI: no chat channel to show it in either.
    const api = await h.app.engine.request({
      actor: 'U-DEV1',
      source: 'cli',
      channel: null,
      kind: 'deploy',
      service: 'api',
      environment: 'staging',
      version: '2.0.0',
    });
    if (!api.ok) throw new Error(api.reason);
    const final = await h.waitFinal(bad.id);
    await h.waitFinal(api.deployment.id);
    await n.idle();
    const [main] = chat.inChannel('C-WEB');
    if (!main) throw new Error('no message in #web');
    expect(chat.latest(main).title).toBe(
      `web 1.4.3-bad → staging: ${final.state === 'rolled_back' ? 'rolled back' : 'failed'}`,
    );
    const thread = chat.thread(main).map((m) => chat.latest(m));
    expect(thread.some((v) => `${v.title}\n${v.body ?? ''}`.includes('crashed on start'))).toBe(
      true,
    );
    // The thread shows the end of the output; where the whole of it is, once.
    const pointers = thread
      .flatMap((v) => v.context ?? [])
      .filter((c) => c.includes('slipway logs'));
    expect(pointers).toEqual([`Whole output: \`slipway logs ${bad.id}\``]);
    // api has no channel: nothing posted for it outside the direct messages of its review.
    expect(
      chat.messages.filter(
        (m) => !m.channel.startsWith('D-') && chat.latest(m).title.startsWith('api '),
      ),
    ).toEqual([]);
    expect(await mainRecords(h, api.deployment.id)).toEqual([]);
  });
});
