import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, requestWeb, startHarness } from '../../../test/support/engine-harness.js';
import { handleInbound } from '../../chat/handler.js';
import { buttonClick, formSubmission } from '../../chat/test-support/events.js';
import { createRecordingChat, type RecordingChat } from '../../chat/test-support/recording-chat.js';
import type { FormAnswer } from '../../chat/types.js';
import type { Deployment } from '../../core/deployment.js';
import { createLogger } from '../../core/logger.js';
import { reviewRejectedOwnerView, reviewVerdictView } from './view.js';

const log = createLogger({ level: 'silent' });
let h: Harness | null = null;
let delivery = 0;

afterEach(async () => {
  await h?.close();
  h = null;
});

async function setup() {
  h = await startHarness({ ms: 150 });
  const harness = h;
  const chat = createRecordingChat();
  const deps = { engine: harness.app.engine, chat: chat.client, config: harness.app.config, log };
  /** A click in the clicker's direct message; Slack sent no response_url with it. */
  const click = (actionId: string, value: string, user: string) =>
    handleInbound(
      buttonClick({
        actionId,
        value,
        user,
        channel: `D-${user}`,
        deliveryId: `click-${++delivery}`,
      }),
      deps,
    );
  /** Reject clicked in Slack: the click carries a trigger to open the form with. */
  const clickReject = (value: string, user: string) =>
    handleInbound(
      buttonClick({
        actionId: 'review_reject',
        value,
        user,
        channel: `D-${user}`,
        responseUrl: 'https://hooks.slack.test/response/1',
        deliveryId: `click-${++delivery}`,
        triggerId: `1.${delivery}.abc`,
      }),
      deps,
    );
  /** The form submitted; `answered` records what the acknowledgement said, `late` that it had gone. */
  const submit = (value: string, user: string, reason: string, late = false) => {
    const answered: (Record<string, string> | 'closed')[] = [];
    const form: FormAnswer = {
      refuse: (errors) => {
        if (!late) answered.push(errors);
        return !late;
      },
      close: () => void answered.push('closed'),
    };
    const done = handleInbound(
      formSubmission(reason, {
        value,
        user,
        channel: `D-${user}`,
        deliveryId: `submit-${++delivery}`,
      }),
      { ...deps, form },
    );
    return done.then(() => answered);
  };
  return { h: harness, chat, click, clickReject, submit };
}

async function build(harness: Harness, environment: string, actor = 'U-DEV1'): Promise<Deployment> {
  return harness.waitFinal((await requestWeb(harness.app, { actor, environment })).id);
}

const privately = (chat: RecordingChat) =>
  chat.callsOf('postEphemeral').map((c) => [c.channel, c.user, c.view?.title ?? '']);
const publicly = (chat: RecordingChat) =>
  chat.callsOf('post').map((c) => [c.channel, c.view?.title ?? '']);

describe('handleInbound: review buttons', () => {
  it('answers a click by someone not allowed only to them, and records nothing', async () => {
    const { h, chat, click } = await setup();
    const d = await build(h, 'staging', 'U-QA1');
    await click('review_approve', d.id, 'U-QA1');
    await click('review_reject', d.id, 'U-DEV2');
    await click('promote', d.id, 'U-QA2');
    await click('close', d.id, 'U-DEV2');
    expect(privately(chat)).toEqual([
      ['D-U-QA1', 'U-QA1', expect.stringContaining('someone else from QA must review it')],
      ['D-U-DEV2', 'U-DEV2', expect.stringContaining('U-DEV2 may not review builds of web')],
      ['D-U-QA2', 'U-QA2', expect.stringContaining('U-QA2 may not promote builds of web')],
      ['D-U-DEV2', 'U-DEV2', expect.stringContaining('U-DEV2 may not close builds of web')],
    ]);
    expect(publicly(chat)).toEqual([]);
    expect(await h.app.store.listApprovals(d.id)).toEqual([]);
    expect(await h.app.store.getReviewDecision(d.id)).toBeNull();
  });

  it('promotes to production from a direct message as a request from the deploy channel, whose cards are the announcement', async () => {
    const { h, chat, click } = await setup();
    const d = await build(h, 'perf');
    await click('promote', d.id, 'U-DEV1');
    expect(privately(chat)).toEqual([
      [
        'D-U-DEV1',
        'U-DEV1',
        'QA has not approved 1.4.2 yet: web 1.4.2 goes to production once someone from its QA approves it on perf.',
      ],
    ]);
    await click('review_approve', d.id, 'U-QA1');
    await click('review_approve', d.id, 'U-QA1');
    expect(privately(chat)[1]).toEqual([
      'D-U-QA1',
      'U-QA1',
      'You already approved web 1.4.2 on perf; your verdict stands.',
    ]);
    await click('promote', d.id, 'U-DEV1');
    const title = '<@U-DEV1> promoted web 1.4.2 from perf to production';
    // The promoted deployment's cards (in #web and #deploys) are the public record; the
    // clicker gets the details.
    expect(publicly(chat)).toEqual([]);
    expect(privately(chat).at(-1)).toEqual(['D-U-DEV1', 'U-DEV1', title]);
    const [promoted] = await h.app.store.listDeployments({ environment: 'production' });
    expect(promoted).toMatchObject({ channel: 'C-DEPLOYS', requestedBy: 'U-DEV1' });
    expect(chat.callsOf('postEphemeral').at(-1)?.view?.body).toBe(
      'QA approval by <@U-QA1> counts toward production.',
    );
    expect((await h.waitFinal(promoted?.id ?? '')).state).toBe('succeeded');
  });

  it('offers the freeze override on a refused promotion only to those who may override it', async () => {
    const { h, chat, click } = await setup();
    const d = await build(h, 'perf');
    await click('review_approve', d.id, 'U-QA1');
    const production = h.app.config.environments.find((env) => env.name === 'production');
    production?.freeze.push({
      cron: '* * * * *',
      duration: '2m',
      timezone: 'UTC',
      reason: 'release freeze',
    });
    // The owner may promote, but only admins (U-SRE) may override production's freeze.
    await click('promote', d.id, 'U-DEV1');
    const refused = chat.callsOf('postEphemeral').at(-1)?.view;
    expect(refused?.title).toMatch(/^production is frozen until .* \(release freeze\)/);
    expect(refused?.actions).toBeUndefined();

    await click('promote', d.id, 'U-SRE');
    const offered = chat.callsOf('postEphemeral').at(-1)?.view;
    expect(offered?.actions).toEqual([
      expect.objectContaining({
        id: 'promote_override',
        label: 'Deploy during the freeze',
        value: d.id,
        confirm: expect.objectContaining({ title: 'Override the freeze?' }),
      }),
    ]);
    expect(await h.app.store.listDeployments({ environment: 'production' })).toEqual([]);

    // Clicked by someone it was not offered to, it is refused as any `deploy!` of theirs.
    await click('promote_override', d.id, 'U-DEV1');
    expect(chat.callsOf('postEphemeral').at(-1)?.view?.title).toMatch(
      /U-DEV1 may not override the freeze on production/,
    );
    await click('promote_override', d.id, 'U-SRE');
    const [promoted] = await h.app.store.listDeployments({ environment: 'production' });
    expect(promoted).toMatchObject({
      requestedBy: 'U-SRE',
      freezeOverride: true,
      version: '1.4.2',
    });
  });

  it('asks QA why they reject, and records the rejection with the reason they give', async () => {
    const { h, chat, clickReject, submit } = await setup();
    const d = await build(h, 'staging');
    await clickReject(d.id, 'U-QA1');
    const [opened] = chat.callsOf('openModal');
    expect(opened?.triggerId).toMatch(/^1\.\d+\.abc$/);
    expect(opened?.modal).toMatchObject({
      actionId: 'review_reject',
      value: d.id,
      origin: { channel: 'D-U-QA1', ts: '1.1' },
      inputs: [{ id: 'reason', label: 'Why is it rejected?', multiline: true }],
    });
    // Nothing is decided by the click: the form may still be cancelled.
    expect(await h.app.store.listApprovals(d.id)).toEqual([]);

    expect(await submit(d.id, 'U-QA1', '  Login is broken on Safari <!channel>  ')).toEqual([
      'closed',
    ]);
    const approvals = await h.app.store.listApprovals(d.id);
    expect(approvals).toMatchObject([
      { approver: 'U-QA1', verdict: 'reject', comment: 'Login is broken on Safari <!channel>' },
    ]);
    expect(chat.callsOf('postEphemeral')).toEqual([]);
    // What the owners read: the reason, escaped, under the verdict and in their message.
    const [verdict] = approvals;
    if (!verdict) throw new Error('no verdict');
    expect(reviewVerdictView(d, verdict, 'reply')).toMatchObject({
      title: '<@U-QA1> rejected web 1.4.2 on staging',
      body: 'Login is broken on Safari &lt;!channel&gt;',
    });
    const owners = reviewRejectedOwnerView(
      d,
      { kind: 'rejected', by: 'U-QA1', next: 'perf' },
      approvals,
    );
    expect(owners.body).toContain(
      'Rejected by <@U-QA1>: Login is broken on Safari &lt;!channel&gt;.',
    );
  });

  it('keeps the form open on an empty reason, and says so privately once it has closed', async () => {
    const { h, chat, submit } = await setup();
    const d = await build(h, 'staging');
    expect(await submit(d.id, 'U-QA1', ' \n  ')).toEqual([
      { reason: 'Say why it is rejected: the owners read it to fix the build.' },
    ]);
    expect(await submit(d.id, 'U-QA1', '', true)).toEqual([]);
    expect(privately(chat)).toEqual([
      ['D-U-QA1', 'U-QA1', 'Nothing was recorded: a rejection needs a reason. Click Reject again.'],
    ]);
    expect(await h.app.store.listApprovals(d.id)).toEqual([]);
  });

  it('refuses a stranger’s submission as it refuses their click, and records the refusal', async () => {
    const { h, chat, submit } = await setup();
    const d = await build(h, 'staging');
    // The form closes (its reason was given); policy then says no, privately.
    expect(await submit(d.id, 'U-DEV2', 'I do not like it')).toEqual(['closed']);
    expect(privately(chat)).toEqual([
      ['D-U-DEV2', 'U-DEV2', expect.stringContaining('U-DEV2 may not review builds of web')],
    ]);
    expect(await h.app.store.listApprovals(d.id)).toEqual([]);
    const refusals = await h.app.store.listRefusals({ deploymentId: d.id });
    expect(refusals).toMatchObject([
      { actor: 'U-DEV2', action: 'review', source: 'chat', channel: 'D-U-DEV2' },
    ]);
  });

  it('answers privately when the form cannot open, recording nothing', async () => {
    const { h, chat, clickReject } = await setup();
    const d = await build(h, 'staging');
    chat.failNext('openModal', () => new Error('Slack refused views.open: expired_trigger_id'));
    await clickReject(d.id, 'U-QA1');
    expect(chat.callsOf('respond').map((c) => [c.ephemeral, c.view?.title])).toEqual([
      [
        true,
        'The form asking why did not open in time, so nothing was recorded. Click Reject again.',
      ],
    ]);
    expect(await h.app.store.listApprovals(d.id)).toEqual([]);
  });
});
