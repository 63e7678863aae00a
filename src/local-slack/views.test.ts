import { verifySlackRequest } from '@slack/bolt';
import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AppAnswer,
  type RecordedRequest,
  type RecordingApp,
  startRecordingApp,
} from '../../test/support/recording-app.js';
import { validateBlocks } from './blocks.js';
import { createLocalSlack, type LocalSlack } from './index.js';
import { DEFAULT_RATE_RULES } from './rate-limit.js';

let slack: LocalSlack;
let app: RecordingApp;
let client: WebClient;
let now = Date.now();

/** The Web API client's own log of refused calls: these tests expect refusals. */
const quiet = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

async function setup(
  answer?: (r: RecordedRequest, i: number) => AppAnswer,
  options: { ackTimeoutMs?: number } = {},
) {
  now = Date.now();
  app = await startRecordingApp(answer);
  slack = createLocalSlack({
    ...options,
    channels: [{ id: 'C0DEPLOYS', name: 'deploys' }],
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
    ],
    delivery: { mode: 'http', requestUrl: app.url },
    clock: () => now,
  });
  await slack.start();
  client = new WebClient(slack.config.botToken, { slackApiUrl: slack.apiUrl, logger: quiet });
}
afterEach(async () => {
  await slack?.stop();
  await app?.close();
});

/** Alice clicks a button: Slack gives the app a trigger_id for it. */
async function clickTrigger(user = 'U0ALICE'): Promise<string> {
  const posted = await client.chat.postMessage({
    channel: 'C0DEPLOYS',
    text: 'web 1.4.2 is on perf',
    blocks: [
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'review_reject', text: { type: 'plain_text', text: 'R' } },
        ],
      },
    ],
  });
  const click = await slack.clickButton({
    user,
    channel: 'C0DEPLOYS',
    ts: posted.ts as string,
    actionId: 'review_reject',
  });
  return click.triggerId;
}

const reasonModal = (extra: Record<string, unknown> = {}) => ({
  type: 'modal' as const,
  callback_id: 'review_reject',
  private_metadata: '{"value":"d-1"}',
  title: { type: 'plain_text' as const, text: 'Reject the build' },
  submit: { type: 'plain_text' as const, text: 'Reject' },
  close: { type: 'plain_text' as const, text: 'Cancel' },
  blocks: [
    {
      type: 'input',
      block_id: 'reason',
      label: { type: 'plain_text', text: 'Why is it rejected?' },
      element: { type: 'plain_text_input', action_id: 'reason', multiline: true, max_length: 200 },
    },
  ],
  ...extra,
});

async function slackError(call: Promise<unknown>): Promise<{ error: string; messages: string[] }> {
  try {
    await call;
  } catch (err) {
    const data = (err as { data?: { error: string; response_metadata?: { messages?: string[] } } })
      .data;
    return { error: data?.error ?? '', messages: data?.response_metadata?.messages ?? [] };
  }
  throw new Error('expected the call to fail');
}

const open = (trigger: string, view: Record<string, unknown> = reasonModal()) =>
  client.apiCall('views.open', { trigger_id: trigger, view });

describe('views.open', () => {
  it('opens a modal for whoever clicked, with the view as Slack returns it', async () => {
    await setup();
    const trigger = await clickTrigger('U0BOB');
    const r = (await open(trigger)) as { ok: boolean; view: Record<string, unknown> };
    expect(r.view).toMatchObject({
      type: 'modal',
      team_id: slack.config.teamId,
      callback_id: 'review_reject',
      private_metadata: '{"value":"d-1"}',
      state: { values: {} },
      app_id: slack.config.appId,
      bot_id: slack.config.botId,
    });
    expect(r.view.root_view_id).toBe(r.view.id);
    expect(slack.openViews('U0BOB').map((v) => v.id)).toEqual([r.view.id]);
    expect(slack.openViews('U0ALICE')).toEqual([]);
    expect(slack.calls('views.open').map((c) => c.ok)).toEqual([true]);
    // Tier 4, like the docs say (docs.slack.dev/reference/methods/views.open).
    expect(DEFAULT_RATE_RULES['views.open']).toMatchObject({ perMinute: 100 });
  });

  it('takes a trigger once, and only within 3 seconds', async () => {
    await setup();
    const first = await clickTrigger();
    await open(first);
    expect((await slackError(open(first))).error).toBe('exchanged_trigger_id');
    const late = await clickTrigger();
    now += 3_001;
    expect((await slackError(open(late))).error).toBe('expired_trigger_id');
    // One Slack never issued looks like a long-gone one; a malformed one is invalid.
    expect((await slackError(open('12345.98765.abcd2358fdea'))).error).toBe('expired_trigger_id');
    expect((await slackError(open('not-a-trigger'))).error).toBe('invalid_trigger_id');
    expect((await slackError(client.apiCall('views.open', { view: reasonModal() }))).error).toBe(
      'invalid_arguments',
    );
    expect(slack.openViews('U0ALICE')).toHaveLength(1);
  });

  it('refuses a view over the documented limits, saying where, without using the trigger', async () => {
    await setup();
    const trigger = await clickTrigger();
    const input = reasonModal().blocks[0] as Record<string, unknown>;
    const cases: [Record<string, unknown>, string][] = [
      [reasonModal({ title: { type: 'plain_text', text: 'x'.repeat(25) } }), '/view/title/text'],
      [reasonModal({ submit: { type: 'plain_text', text: 'x'.repeat(25) } }), '/view/submit/text'],
      [reasonModal({ close: { type: 'plain_text', text: 'x'.repeat(25) } }), '/view/close/text'],
      [reasonModal({ private_metadata: 'x'.repeat(3001) }), '/view/private_metadata'],
      [reasonModal({ callback_id: 'x'.repeat(256) }), '/view/callback_id'],
      [reasonModal({ blocks: Array(101).fill({ type: 'divider' }) }), '/view/blocks'],
      [reasonModal({ submit: undefined }), '/view/blocks/0/input'],
      [reasonModal({ type: 'home' }), '/view/type'],
      [
        reasonModal({ blocks: [{ ...input, label: { type: 'plain_text', text: '' } }] }),
        '/view/blocks/0/label/text',
      ],
    ];
    for (const [view, pointer] of cases) {
      const e = await slackError(open(trigger, view));
      expect(e.error, pointer).toBe('invalid_arguments');
      expect(e.messages.join('\n'), pointer).toContain(`[json-pointer:${pointer}]`);
    }
    expect(
      (await slackError(open(trigger, reasonModal({ private_metadata: 'x'.repeat(300_000) }))))
        .error,
    ).toBe('view_too_large');
    // Input blocks belong in modals: a message with one is refused.
    expect(validateBlocks([input])).toEqual([
      'unsupported block type [json-pointer:/blocks/0/type]',
    ]);
    expect(validateBlocks([input], 'modal')).toEqual([]);
    // 100 blocks is allowed (a message stops at 50), and the trigger is still good.
    await open(trigger, reasonModal({ blocks: Array(100).fill({ type: 'divider' }) }));
    expect(slack.openViews('U0ALICE')).toHaveLength(1);
  });
});

describe('a person submitting a modal', () => {
  it('sends view_submission, signed, with what they typed; an empty answer closes it', async () => {
    await setup();
    await open(await clickTrigger());
    const r = await slack.submitView({ user: 'U0ALICE', values: { reason: 'login is broken' } });
    expect(r).toMatchObject({ status: 200, closed: true, errors: {}, timedOut: false });
    expect(slack.openViews('U0ALICE')).toEqual([]);
    const req = app.requests.at(-1) as RecordedRequest;
    verifySlackRequest({
      signingSecret: slack.config.signingSecret,
      body: req.body,
      headers: {
        'x-slack-signature': String(req.headers['x-slack-signature']),
        'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
      },
    });
    expect(req.json).toMatchObject({
      type: 'view_submission',
      api_app_id: slack.config.appId,
      team: { id: slack.config.teamId },
      user: { id: 'U0ALICE', name: 'alice' },
      trigger_id: r.triggerId,
      view: {
        id: r.viewId,
        callback_id: 'review_reject',
        private_metadata: '{"value":"d-1"}',
        state: {
          values: { reason: { reason: { type: 'plain_text_input', value: 'login is broken' } } },
        },
      },
    });
    // A submission's trigger opens another modal, as Slack's does.
    await open(r.triggerId);
    expect(slack.openViews('U0ALICE')).toHaveLength(1);
  });

  it('keeps the modal open with the errors the app answers, until an answer closes it', async () => {
    const answers: AppAnswer[] = [
      {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_action: 'errors', errors: { reason: 'Say why' } }),
      },
      { body: JSON.stringify({ response_action: 'errors', errors: { elsewhere: 'no' } }) },
      { body: JSON.stringify({ response_action: 'clear' }) },
    ];
    await setup((req) => (req.json?.type === 'view_submission' ? (answers.shift() ?? {}) : {}));
    await open(await clickTrigger());
    const first = await slack.submitView({ user: 'U0ALICE', values: { reason: '   ' } });
    expect(first).toMatchObject({ closed: false, errors: { reason: 'Say why' } });
    expect(slack.openViews('U0ALICE')[0]?.errors).toEqual({ reason: 'Say why' });
    // Errors for a block that is not an input: Slack shows the person an error instead.
    const second = await slack.submitView({ user: 'U0ALICE', values: { reason: 'x' } });
    expect(second).toMatchObject({ closed: false, problem: 'invalid_errors' });
    const third = await slack.submitView({ user: 'U0ALICE', values: { reason: 'broken' } });
    expect(third.closed).toBe(true);
    expect(slack.openViews('U0ALICE')).toEqual([]);
  });

  it('does not send what Slack’s client would not: an empty required input, too long a text', async () => {
    await setup();
    await open(await clickTrigger());
    const sent = app.requests.length;
    await expect(slack.submitView({ user: 'U0ALICE', values: {} })).rejects.toThrow('required');
    await expect(
      slack.submitView({ user: 'U0ALICE', values: { reason: 'x'.repeat(201) } }),
    ).rejects.toThrow('at most 200');
    await expect(slack.submitView({ user: 'U0BOB', values: { reason: 'x' } })).rejects.toThrow(
      'no open modal',
    );
    expect(app.requests.length).toBe(sent);
    slack.closeView({ user: 'U0ALICE' });
    expect(slack.openViews('U0ALICE')).toEqual([]);
  });

  it('leaves the modal open when the app does not answer in time (3 s, shortened here)', async () => {
    await setup((req) => (req.json?.type === 'view_submission' ? { delayMs: 400 } : {}), {
      ackTimeoutMs: 200,
    });
    await open(await clickTrigger());
    const r = await slack.submitView({ user: 'U0ALICE', values: { reason: 'slow' } });
    expect(r).toMatchObject({ timedOut: true, closed: false, problem: 'timeout' });
    expect(slack.openViews('U0ALICE')).toHaveLength(1);
    expect(slack.timeouts().interactive).toBe(1);
  });
});
