import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, requestWeb, startHarness } from '../../../test/support/engine-harness.js';
import { handleInbound } from '../../chat/handler.js';
import { createNotifier, type Notifier } from '../../chat/notifier.js';
import { buttonClick } from '../../chat/test-support/events.js';
import { createRecordingChat, type RecordingChat } from '../../chat/test-support/recording-chat.js';
import type { MessageView } from '../../chat/types.js';
import type { Config } from '../../config/schema.js';
import type { Deployment } from '../../core/deployment.js';
import { createLogger } from '../../core/logger.js';
import { deploymentSubject } from '../../core/message-subject.js';

const log = createLogger({ level: 'silent' });
let h: Harness | null = null;
const notifiers: Notifier[] = [];
let delivery = 0;

afterEach(async () => {
  await Promise.all(notifiers.splice(0).map((n) => n.stop()));
  await h?.close();
  h = null;
});

/**
 * The scenario config as the chat side reads it: web has two owners here (U-DEV1, and U-SRE,
 * who may act on everything as an admin anyway), so "every owner message" means two.
 */
function chatConfig(config: Config): Config {
  return {
    ...config,
    services: config.services.map((s) =>
      s.name === 'web' ? { ...s, owners: ['U-DEV1', 'U-SRE'] } : s,
    ),
  };
}

async function setup() {
  h = await startHarness({ ms: 150 });
  const harness = h;
  const chat = createRecordingChat();
  const config = chatConfig(harness.app.config);
  const start = () => {
    const n = createNotifier(
      {
        events: harness.app.engine.events,
        store: harness.app.store,
        chat: chat.client,
        config,
        log,
      },
      { minUpdateIntervalMs: 50, retryBaseMs: 20 },
    );
    n.start();
    notifiers.push(n);
    return n;
  };
  const handlerDeps = { engine: harness.app.engine, chat: chat.client, config, log };
  const click = (actionId: string, value: string, user: string) =>
    handleInbound(
      buttonClick({
        actionId,
        value,
        user,
        channel: `D-${user}`,
        responseUrl: `https://hooks.slack.test/actions/${++delivery}`,
        deliveryId: `click-${delivery}`,
      }),
      handlerDeps,
    );
  return { h: harness, chat, start, click };
}

async function build(
  harness: Harness,
  environment: string,
  version = '1.4.2',
): Promise<Deployment> {
  const d = await requestWeb(harness.app, {
    channel: environment === 'production' ? 'C-DEPLOYS' : 'C-WEB',
    environment,
    version,
  });
  return d.state === 'awaiting_approval' ? d : harness.waitFinal(d.id);
}

/** The one top-level message in a user's direct message with Slipway about `d`, as shown now. */
function dm(chat: RecordingChat, user: string, d: Deployment): MessageView {
  const found = chat
    .inChannel(`D-${user}`)
    .filter((m) => m.versions.some((v) => v.context?.includes(`\`${d.id}\``)));
  expect(found, `${user}'s direct messages about ${d.id}`).toHaveLength(1);
  return chat.latest(found[0] as (typeof found)[number]);
}

const ids = (view: MessageView) => view.actions?.map((a) => [a.id, a.value]);
const privately = (chat: RecordingChat) => chat.callsOf('respond').map((c) => c.view?.title ?? '');

describe('review messages (seeds/001)', () => {
  it('asks QA and the owners once when a build lands on staging, and nobody when it lands on production', async () => {
    const { h, chat, start } = await setup();
    // Two replicas sharing the store: each message is still posted once.
    const n = start();
    const replica = start();
    const d = await build(h, 'staging');
    await Promise.all([n.idle(), replica.idle()]);
    for (const qa of ['U-QA1', 'U-QA2']) {
      const view = dm(chat, qa, d);
      expect(view.title).toBe('web 1.4.2 is on staging');
      expect(ids(view)).toEqual([
        ['review_approve', d.id],
        ['review_reject', d.id],
      ]);
    }
    for (const owner of ['U-DEV1', 'U-SRE']) {
      const view = dm(chat, owner, d);
      expect(view.body).toContain('QA: <@U-QA1>, <@U-QA2>');
      expect(view.actions?.map((a) => [a.id, a.label, a.value])).toEqual([
        ['promote', 'Deploy to perf', d.id],
        ['close', 'Close', d.id],
      ]);
    }
    const purposes = (await h.app.store.listPostedMessages(deploymentSubject(d.id)))
      .map((m) => m.purpose)
      .sort();
    expect(purposes).toEqual(['main', 'owner:U-DEV1', 'owner:U-SRE', 'qa:U-QA1', 'qa:U-QA2']);

    const prod = await build(h, 'production');
    await h.app.engine.verdict({
      deploymentId: prod.id,
      actor: 'U-QA1',
      channel: 'D-U-QA1',
      source: 'chat',
      verdict: 'approve',
    });
    expect((await h.waitFinal(prod.id)).state).toBe('succeeded');
    await n.idle();
    const prodPurposes = (await h.app.store.listPostedMessages(deploymentSubject(prod.id))).map(
      (m) => m.purpose,
    );
    expect(prodPurposes.filter((p) => p.startsWith('qa:') || p.startsWith('owner:'))).toEqual([]);
  });

  it('shows a QA verdict in that DM, tells the other QA, and replies under every owner message, across a restart', async () => {
    const { h, chat, start, click } = await setup();
    const first = start();
    const d = await build(h, 'staging');
    await first.idle();
    // A restart: the new notifier knows the messages only from the store.
    await first.stop();
    const second = start();
    await click('review_approve', d.id, 'U-QA1');
    await second.idle();

    const mine = dm(chat, 'U-QA1', d);
    expect(mine).toMatchObject({ title: 'web 1.4.2 on staging: approved', tone: 'success' });
    expect(mine.actions).toBeUndefined();
    const other = dm(chat, 'U-QA2', d);
    expect(other.body).toContain('Approved by <@U-QA1>.');
    // Still theirs to give: another verdict (a rejection) counts until an owner decides.
    expect(ids(other)).toEqual([
      ['review_approve', d.id],
      ['review_reject', d.id],
    ]);
    for (const owner of ['U-DEV1', 'U-SRE']) {
      const [message] = chat
        .inChannel(`D-${owner}`)
        .filter((m) => m.versions[0]?.context?.includes(`\`${d.id}\``));
      if (!message) throw new Error(`no message for ${owner}`);
      expect(chat.thread(message).map((m) => chat.latest(m).title)).toEqual([
        '<@U-QA1> approved web 1.4.2 on staging',
      ]);
      expect(ids(chat.latest(message))?.map(([id]) => id)).toEqual(['promote', 'close']);
    }
    expect(privately(chat)).toEqual([]);
    expect(chat.inChannel('D-U-QA1')).toHaveLength(1);
  });

  it('closes every owner and QA message on promotion, whose card is the channel’s one message about it', async () => {
    const { h, chat, start, click } = await setup();
    const n = start();
    const d = await build(h, 'staging');
    await n.idle();
    await click('review_approve', d.id, 'U-QA2');
    await click('promote', d.id, 'U-DEV1');
    await click('promote', d.id, 'U-SRE');
    await n.idle();

    for (const owner of ['U-DEV1', 'U-SRE']) {
      const view = dm(chat, owner, d);
      expect(view).toMatchObject({
        title: 'web 1.4.2 on staging: promoted to perf',
        body: 'Promoted to *perf* by <@U-DEV1>.\nApproved by <@U-QA2>.',
      });
      expect(view.actions).toBeUndefined();
    }
    for (const qa of ['U-QA1', 'U-QA2']) expect(dm(chat, qa, d).actions).toBeUndefined();
    const top = chat.inChannel('C-WEB').map((m) => chat.latest(m).title);
    expect(top).toEqual([
      'web 1.4.2 → staging: deployed',
      expect.stringMatching(/^web 1\.4\.2 → perf: /),
    ]);
    // Perf has no deploy channel of its own: the owner who promoted is answered privately.
    expect(privately(chat)).toEqual([
      '<@U-DEV1> promoted web 1.4.2 from staging to perf',
      'Already promoted by <@U-DEV1>',
    ]);
    expect(await h.app.store.listDeployments({ environment: 'perf' })).toHaveLength(1);
  });

  it('closes every message on close, announces it, and answers a later click privately', async () => {
    const { h, chat, start, click } = await setup();
    const n = start();
    const d = await build(h, 'staging');
    await n.idle();
    await click('close', d.id, 'U-SRE');
    await click('promote', d.id, 'U-DEV1');
    await click('review_reject', d.id, 'U-QA1');
    await n.idle();
    for (const user of ['U-DEV1', 'U-SRE', 'U-QA1', 'U-QA2']) {
      const view = dm(chat, user, d);
      expect(view.body).toBe('Closed by <@U-SRE>; it will not go to *perf*.');
      expect(view.actions).toBeUndefined();
    }
    expect(chat.inChannel('C-WEB').map((m) => chat.latest(m).title)).toContain(
      '<@U-SRE> closed the review of web 1.4.2 on staging',
    );
    expect(privately(chat)).toEqual([
      expect.stringMatching(/was closed by U-SRE, so it cannot be promoted/),
      expect.stringMatching(/was already closed by U-SRE/),
    ]);
    expect(await h.app.store.listApprovals(d.id)).toEqual([]);
  });

  it('moves an open review to the newer build in the same direct messages, settling only those who may not review it', async () => {
    const { h, chat, start, click } = await setup();
    const n = start();
    const older = await build(h, 'staging', '1.4.2');
    await n.idle();
    // U-QA1 deploys the newer build: they may not review their own.
    const asked = await requestWeb(h.app, { actor: 'U-QA1', version: '1.4.3' });
    const newer = await h.waitFinal(asked.id);
    await n.idle();
    for (const user of ['U-DEV1', 'U-SRE', 'U-QA2']) {
      const messages = chat.inChannel(`D-${user}`);
      expect(messages, `${user}'s direct messages`).toHaveLength(1);
      const view = chat.latest(messages[0] as (typeof messages)[number]);
      expect(view.title).toBe('web 1.4.3 is on staging');
      expect(view.actions?.every((a) => a.value === newer.id)).toBe(true);
    }
    const retired = dm(chat, 'U-QA1', older);
    expect(retired.title).toBe('web 1.4.2 on staging: replaced by 1.4.3');
    expect(retired.actions).toBeUndefined();
    const ts = async (id: string, purpose: string) =>
      (await h.app.store.listPostedMessages(deploymentSubject(id))).find(
        (m) => m.purpose === purpose,
      )?.ts;
    expect(await ts(newer.id, 'owner:U-DEV1')).toBe(await ts(older.id, 'owner:U-DEV1'));
    expect(await ts(newer.id, 'qa:U-QA1')).toBeUndefined();
    await click('review_approve', older.id, 'U-QA2');
    expect(privately(chat)).toEqual([
      expect.stringContaining(`web 1.4.2 is no longer the latest build on staging: ${newer.id}`),
    ]);
  });

  it('after a QA rejection, leaves the owners only Close and the other QA no buttons', async () => {
    const { h, chat, start, click } = await setup();
    const n = start();
    const d = await build(h, 'staging');
    await n.idle();
    await click('review_reject', d.id, 'U-QA1');
    await n.idle();
    for (const owner of ['U-DEV1', 'U-SRE']) {
      const view = dm(chat, owner, d);
      expect(view.title).toBe('web 1.4.2 on staging: rejected');
      expect(view.tone).toBe('failure');
      expect(ids(view)).toEqual([['close', d.id]]);
    }
    for (const qa of ['U-QA1', 'U-QA2']) {
      const view = dm(chat, qa, d);
      expect(view.body).toContain('Rejected by <@U-QA1>');
      expect(view.actions).toBeUndefined();
    }
    await click('close', d.id, 'U-DEV1');
    await n.idle();
    expect(dm(chat, 'U-DEV1', d).actions).toBeUndefined();
  });
});
