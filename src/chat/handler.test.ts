import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, requestWeb, startHarness } from '../../test/support/engine-harness.js';
import type { Deployment } from '../core/deployment.js';
import { createLogger } from '../core/logger.js';
import { handleInbound } from './handler.js';
import { buttonClick, slashCommand } from './test-support/events.js';
import { createRecordingChat, type RecordingChat } from './test-support/recording-chat.js';
import type { InboundEvent } from './types.js';

type Command = Extract<InboundEvent, { kind: 'command' }>;

const log = createLogger({ level: 'silent' });
let h: Harness | null = null;
let delivery = 0;

afterEach(async () => {
  await h?.close();
  h = null;
});

async function setup(options: { start?: boolean; ms?: number } = {}) {
  h = await startHarness(options);
  const chat = createRecordingChat();
  const harness = h;
  const deps = { engine: harness.app.engine, chat: chat.client, config: harness.app.config, log };
  return { h: harness, chat, send: (event: InboundEvent) => handleInbound(event, deps) };
}

function slash(text: string, user = 'U-DEV1', extra: Partial<Command> = {}): InboundEvent {
  return slashCommand({
    text,
    user,
    channel: 'C-DEPLOYS',
    responseUrl: 'https://hooks.slack.com/commands/T1/1/abc',
    deliveryId: `trigger-${++delivery}`,
    ...extra,
  });
}

function click(
  actionId: string,
  value: string,
  user: string,
  channel = 'C-DEPLOYS',
  responseUrl: string | null = null,
): InboundEvent {
  return buttonClick({
    actionId,
    value,
    user,
    channel,
    responseUrl,
    deliveryId: `click-${++delivery}`,
  });
}

const ANSWER_URL = 'https://hooks.slack.com/actions/T1/2/def';

/** The last private answer's button with this id, as the person sees it. */
function buttonIn(chat: RecordingChat, id: string) {
  const answers = chat.calls.filter((c) => c.method === 'respond' || c.method === 'postEphemeral');
  const button = answers.at(-1)?.view?.actions?.find((a) => a.id === id);
  if (!button) throw new Error(`no ${id} button in the last private answer`);
  return button;
}

/** What only the sender saw, and what the channel saw. */
const privately = (chat: RecordingChat) =>
  chat.calls
    .filter((c) => c.method === 'respond' || c.method === 'postEphemeral')
    .map((c) => c.view?.title ?? '');
const publicly = (chat: RecordingChat) => chat.callsOf('post').map((c) => c.view?.title ?? '');

/** Requests a deploy; waits for it to end unless it waits for people or the engine is stopped. */
async function deployed(
  harness: Harness,
  version: string,
  environment = 'staging',
  wait = true,
): Promise<Deployment> {
  const d = await requestWeb(harness.app, { channel: 'C-DEPLOYS', environment, version });
  return d.state === 'awaiting_approval' || !wait ? d : harness.waitFinal(d.id);
}

describe('handleInbound: commands', () => {
  it('answers a command it cannot read only to the sender, with a suggestion and the usage', async () => {
    const { chat, send } = await setup({ start: false });
    await send(slash('wbe 1.4.2 to staging'));
    expect(publicly(chat)).toEqual([]);
    const [answer] = chat.callsOf('respond');
    expect(answer).toMatchObject({
      url: 'https://hooks.slack.com/commands/T1/1/abc',
      ephemeral: true,
    });
    expect(answer?.view?.title).toBe('Unknown service "wbe".');
    expect(answer?.view?.body).toContain('Did you mean `web`?');
    expect(answer?.view?.body).toContain('deploy &lt;service&gt;');
  });

  it('answers a policy refusal privately, by postEphemeral when there is no response_url', async () => {
    const { chat, send, h } = await setup({ start: false });
    await send(slash('deploy web 1.4.2 to perf', 'U-QA2', { mode: 'mention', responseUrl: null }));
    expect(publicly(chat)).toEqual([]);
    const [answer] = chat.callsOf('postEphemeral');
    expect(answer).toMatchObject({
      channel: 'C-DEPLOYS',
      user: 'U-QA2',
      view: { tone: 'failure' },
    });
    expect(answer?.view?.title).toMatch(/U-QA2 may not deploy/);
    expect(await h.app.store.listDeployments()).toEqual([]);
  });

  it('leaves an accepted deploy to its card, telling the asker privately where it is, once per delivery', async () => {
    const { chat, send, h } = await setup({ start: false });
    // Asked in a direct message, where no card is kept: the card is in #web (the notifier's).
    const event = slash('<@USLIPWAY> deploy web 1.4.2 to staging -- fixes <!channel>', 'U-DEV1', {
      channel: 'D-U-DEV1',
      mode: 'mention',
      threadTs: '5.5',
      responseUrl: null,
    });
    await send(event);
    expect(publicly(chat)).toEqual([]);
    const [answer] = chat.callsOf('postEphemeral');
    expect(answer).toMatchObject({ channel: 'D-U-DEV1', user: 'U-DEV1' });
    expect(answer?.view?.title).toBe('<@U-DEV1> asked to deploy web 1.4.2 to staging');
    expect(answer?.view?.body).toBe(
      'Reason: fixes &lt;!channel&gt;\nIts progress is shown in <#C-WEB>.',
    );
    // Slack delivers the same event again: nothing new is started or announced.
    await send(event);
    expect(privately(chat)).toEqual([
      '<@U-DEV1> asked to deploy web 1.4.2 to staging',
      'Already requested by <@U-DEV1>',
    ]);
    expect(await h.app.store.listDeployments()).toHaveLength(1);
  });

  it('hands a deploy a gate: told when the record waits, and writing nothing when taken back', async () => {
    h = await startHarness({ start: false });
    const harness = h;
    const chat = createRecordingChat();
    let recorded = false;
    const waitedBeforeRecorded: boolean[] = [];
    const engine = {
      ...harness.app.engine,
      request: async (...args: Parameters<typeof harness.app.engine.request>) => {
        const result = await harness.app.engine.request(...args);
        recorded = true;
        return result;
      },
    };
    const deps = { engine, chat: chat.client, config: harness.app.config, log };
    await handleInbound(slash('deploy web 1.4.2 to staging'), {
      ...deps,
      recordGate: () => ({
        waiting: () => waitedBeforeRecorded.push(!recorded),
        begin: () => true,
      }),
    });
    expect(waitedBeforeRecorded).toEqual([true]);
    expect(await harness.app.store.listDeployments()).toHaveLength(1);
    const answered = chat.calls.length;

    // Taken back before its transaction: nothing recorded, and no error told to the person,
    // whose acknowledgement already said busy.
    await handleInbound(slash('deploy web 1.4.3 to staging'), {
      ...deps,
      recordGate: () => ({ waiting: () => {}, begin: () => false }),
    });
    expect(await harness.app.store.listDeployments()).toHaveLength(1);
    expect(chat.calls).toHaveLength(answered);
  });

  it('says nothing more for a mention in the card’s channel, and answers a slash command there privately', async () => {
    const { chat, send, h } = await setup({ start: false });
    await send(
      slash('<@USLIPWAY> deploy web 1.4.2 to staging', 'U-DEV1', {
        channel: 'C-WEB',
        mode: 'mention',
        responseUrl: null,
      }),
    );
    expect(chat.calls).toEqual([]);
    await send(slash('web 1.4.3 to staging', 'U-DEV1', { channel: 'C-WEB' }));
    expect(publicly(chat)).toEqual([]);
    expect(privately(chat)).toEqual(['<@U-DEV1> asked to deploy web 1.4.3 to staging']);
    expect(await h.app.store.listDeployments()).toHaveLength(2);
  });

  it('answers status, history and help privately, and announces locks', async () => {
    const { chat, send } = await setup({ start: false });
    await send(slash('status web'));
    await send(slash('history web'));
    await send(slash('help lock'));
    expect(privately(chat)).toEqual(['Status of web', 'History of web', 'Slipway commands']);
    await send(slash('lock staging for 1h demo', 'U-DEV1'));
    await send(slash('unlock staging', 'U-DEV1'));
    expect(publicly(chat)).toEqual([
      '🔒 staging locked by <@U-DEV1>',
      '🔓 staging unlocked by <@U-DEV1>',
    ]);
  });
});

describe('handleInbound: failures', () => {
  it('tells the sender when something breaks instead of staying silent', async () => {
    const { h, chat } = await setup({ start: false });
    const engine = {
      ...h.app.engine,
      status: async () => {
        throw new Error('database is down');
      },
    };
    await handleInbound(slash('status'), { engine, chat: chat.client, config: h.app.config, log });
    expect(privately(chat)).toEqual([
      'Slipway could not finish this because of an internal error. Check "status" before trying again.',
    ]);
  });
});

describe('handleInbound: buttons', () => {
  it('records an approval once; a second click, a stranger and the requester each get a clear private answer', async () => {
    const { chat, send, h } = await setup({ start: false });
    const d = await deployed(h, '1.4.2', 'production');
    expect(d.state).toBe('awaiting_approval');

    await send(click('approve', d.id, 'U-DEV2', 'D-U-DEV2'));
    await send(click('reject', d.id, 'U-DEV1'));
    expect(privately(chat)).toEqual([
      expect.stringMatching(
        /U-DEV2 may not approve deployments of web to production: approvals come from/,
      ),
      expect.stringMatching(
        /You requested this deployment of web to production; to withdraw it, cancel it instead/,
      ),
    ]);
    expect(await h.app.store.listApprovals(d.id)).toEqual([]);

    await send(click('approve', d.id, 'U-QA1', 'D-U-QA1'));
    expect(privately(chat)).toHaveLength(2);
    await send(click('approve', d.id, 'U-QA1', 'D-U-QA1'));
    expect(privately(chat)[2]).toMatch(/^Nothing to approve: .* queued/);
    expect(await h.app.store.listApprovals(d.id)).toHaveLength(1);
    expect(publicly(chat)).toEqual([]);
  });

  it('says a superseded deployment cannot be approved any more', async () => {
    const { chat, send, h } = await setup({ start: false });
    const older = await deployed(h, '1.4.2', 'production');
    await deployed(h, '1.4.3', 'production');
    await send(click('approve', older.id, 'U-QA1', 'D-U-QA1'));
    expect(privately(chat)).toEqual([expect.stringMatching(/^Nothing to approve: .*superseded/)]);
    expect((await h.app.store.getDeployment(older.id))?.state).toBe('superseded');
  });

  it('rolls back from a succeeded deployment’s message once, however often it is clicked', async () => {
    const { chat, send, h } = await setup();
    const first = await deployed(h, '1.0.0');
    const second = await deployed(h, '1.0.1');
    expect(second.previousVersion).toBe('1.0.0');

    await send(click('rollback', second.id, 'U-DEV2'));
    await send(click('rollback', second.id, 'U-DEV1', 'C-WEB'));
    // The rollback's card, in #web and in #deploys where it was clicked, says who asked.
    expect(publicly(chat)).toEqual([]);
    expect(privately(chat)).toEqual(['Already requested by <@U-DEV2>']);
    const rollbacks = await h.app.store.listDeployments({ kind: 'rollback' });
    expect(rollbacks).toHaveLength(1);
    expect((await h.waitFinal(rollbacks[0]?.id ?? '')).state).toBe('succeeded');

    // The first deployment's button: that version is no longer what runs.
    await send(click('rollback', first.id, 'U-DEV1'));
    expect(privately(chat)[1]).toMatch(
      /web in staging has moved on since 1\.0\.0 was deployed: 1\.0\.0 is live there now/,
    );
    expect(await h.app.store.listDeployments({ kind: 'rollback' })).toHaveLength(1);
  });

  it('cancels a queued deployment, ignores link buttons and explains unknown ones', async () => {
    const { chat, send, h } = await setup({ start: false });
    const d = await deployed(h, '1.4.2', 'staging', false);
    await send(click('cancel', d.id, 'U-DEV1'));
    expect((await h.app.store.getDeployment(d.id))?.state).toBe('cancelled');
    await send(click('cancel', d.id, 'U-DEV1'));
    expect(privately(chat)).toEqual([expect.stringMatching(/has already ended/)]);
    await send(click('link:0', '', 'U-DEV1'));
    expect(chat.calls).toHaveLength(1);
    await send(click('frobnicate', d.id, 'U-DEV1'));
    expect(privately(chat)[1]).toMatch(/does not know this button \(frobnicate\)/);
  });

  it('asks before deploying the live version again, and deploys once however often it is confirmed', async () => {
    const { chat, send, h } = await setup();
    const live = await deployed(h, '1.4.2');
    await send(slash('web 1.4.2 to staging'));
    expect(privately(chat)).toEqual(['web 1.4.2 is already live in staging']);
    expect(await h.app.store.listDeployments()).toHaveLength(1);
    const again = buttonIn(chat, 'confirm_command');
    expect(again.label).toBe('Deploy again');
    expect(buttonIn(chat, 'confirm_command').value).not.toContain(live.id);

    await send(click('confirm_command', again.value, 'U-DEV1', 'C-DEPLOYS', ANSWER_URL));
    await send(click('confirm_command', again.value, 'U-DEV1', 'C-DEPLOYS', ANSWER_URL));
    const redeploys = (await h.app.store.listDeployments()).filter((d) => d.id !== live.id);
    expect(redeploys).toHaveLength(1);
    expect(redeploys[0]).toMatchObject({ version: '1.4.2', requestedBy: 'U-DEV1' });
    // The question is answered in its place, then the second click hears it was done already.
    const answers = chat.callsOf('respond').slice(1);
    expect(answers.map((a) => a.replaceOriginal)).toEqual([true, true]);
    expect(answers[1]?.view?.title).toBe('Already requested by <@U-DEV1>');
    expect((await h.waitFinal(redeploys[0]?.id ?? '')).state).toBe('succeeded');
  });

  it('asks before a "rollback" to a version never live there, and drops it on Never mind', async () => {
    const { chat, send, h } = await setup();
    await deployed(h, '1.4.2');
    await send(slash('rollback web in staging to 1.3.9'));
    expect(privately(chat)).toEqual(['web 1.3.9 was never live in staging']);
    expect(chat.callsOf('respond')[0]?.view?.body).toContain('1.4.2 is live there now');
    await send(click('dismiss', '', 'U-DEV1', 'C-DEPLOYS', ANSWER_URL));
    expect(chat.callsOf('respond')[1]).toMatchObject({
      replaceOriginal: true,
      view: { title: 'Nothing was deployed.' },
    });
    expect(await h.app.store.listDeployments()).toHaveLength(1);
  });

  it('runs a confirmed command through policy as the person who clicked', async () => {
    const { chat, send, h } = await setup();
    await deployed(h, '1.4.2');
    await send(slash('web 1.4.2 to staging'));
    const again = buttonIn(chat, 'confirm_command');
    // Someone outside the deployers of staging clicks a button passed on to them.
    await send(click('confirm_command', again.value, 'U-OUTSIDER', 'C-DEPLOYS', ANSWER_URL));
    expect(chat.callsOf('respond').at(-1)?.view?.title).toMatch(/U-OUTSIDER may not deploy/);
    // A forged value is refused before anything runs.
    await send(click('confirm_command', '{"c":7}', 'U-DEV1', 'C-DEPLOYS', ANSWER_URL));
    expect(privately(chat).at(-1)).toMatch(/no longer says which deploy/);
    expect(await h.app.store.listDeployments()).toHaveLength(1);
  });

  it('offers a Cancel to a request that waits behind another, which never stops a running one', async () => {
    const { chat, send, h } = await setup({ ms: 1500 });
    const first = await deployed(h, '1.4.2', 'staging', false);
    for (
      let i = 0;
      i < 100 && (await h.app.store.getDeployment(first.id))?.state !== 'running';
      i++
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    await send(slash('web 1.4.3 to staging'));
    const [answer] = chat.callsOf('respond');
    expect(answer?.view?.body).toContain(`It waits for \`${first.id}\``);
    const cancel = buttonIn(chat, 'cancel_request');
    const waiting = await h.app.store.getDeployment(cancel.value);
    expect(waiting).toMatchObject({ version: '1.4.3', state: 'queued' });

    // The running one's Cancel is on its card, behind a confirmation; this one refuses it.
    await send(click('cancel_request', first.id, 'U-DEV1', 'C-DEPLOYS', ANSWER_URL));
    expect(privately(chat).at(-1)).toMatch(/is running now/);
    expect((await h.app.store.getDeployment(first.id))?.state).toBe('running');

    await send(click('cancel_request', cancel.value, 'U-DEV1', 'C-DEPLOYS', ANSWER_URL));
    expect(chat.callsOf('respond').at(-1)).toMatchObject({
      replaceOriginal: true,
      view: { title: 'Cancelled: web 1.4.3 → staging' },
    });
    expect((await h.app.store.getDeployment(cancel.value))?.state).toBe('cancelled');
    expect((await h.waitFinal(first.id)).state).toBe('succeeded');
  });

  it('offers the freeze override on a refused deploy to those who may, as the same command with deploy!', async () => {
    const { chat, send, h } = await setup();
    // U-DEV1 may deploy to frozen but not override its freeze; U-DEV2 may.
    await send(slash('web 1.4.2 to frozen', 'U-DEV1'));
    expect(chat.callsOf('respond').at(-1)?.view?.actions).toBeUndefined();
    await send(slash('web 1.4.2 to frozen -- hotfix', 'U-DEV2'));
    const refused = chat.callsOf('respond').at(-1)?.view;
    expect(refused?.title).toMatch(/^frozen is frozen until/);
    const override = buttonIn(chat, 'confirm_command');
    expect(override).toMatchObject({ label: 'Deploy during the freeze', style: 'danger' });
    expect(await h.app.store.listDeployments()).toEqual([]);

    await send(click('confirm_command', override.value, 'U-DEV2', 'C-DEPLOYS', ANSWER_URL));
    const [d] = await h.app.store.listDeployments();
    expect(d).toMatchObject({
      environment: 'frozen',
      requestedBy: 'U-DEV2',
      freezeOverride: true,
      reason: 'hotfix',
    });
    expect((await h.waitFinal(d?.id ?? '')).state).toBe('succeeded');
  });
});
