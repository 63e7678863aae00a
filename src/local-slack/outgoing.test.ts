import { verifySlackRequest } from '@slack/bolt';
import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AppAnswer,
  type RecordedRequest,
  type RecordingApp,
  startRecordingApp,
} from '../../test/support/recording-app.js';
import { createLocalSlack, type LocalSlack, type LocalSlackOptions } from './index.js';

let slack: LocalSlack;
let app: RecordingApp;

async function setup(
  answer?: (r: RecordedRequest, i: number) => AppAnswer,
  options: LocalSlackOptions = {},
) {
  app = await startRecordingApp(answer);
  slack = createLocalSlack({
    channels: [{ id: 'C0DEPLOYS', name: 'deploys' }],
    users: [{ id: 'U0ALICE', name: 'alice' }],
    delivery: { mode: 'http', requestUrl: app.url },
    ...options,
  });
  await slack.start();
}
afterEach(async () => {
  await slack?.stop();
  await app?.close();
});

/** Bolt's own check, as the app under test runs it. */
function verify(req: RecordedRequest, signingSecret = slack.config.signingSecret): void {
  verifySlackRequest({
    signingSecret,
    body: req.body,
    headers: {
      'x-slack-signature': String(req.headers['x-slack-signature']),
      'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
    },
  });
}

const until = async (check: () => boolean, ms = 2_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('signed requests to the app (HTTP mode)', () => {
  it('sends a slash command with Slack fields, signed as Slack signs', async () => {
    await setup();
    const r = await slack.slashCommand({
      user: 'U0ALICE',
      channel: 'C0DEPLOYS',
      text: 'web to staging',
    });
    expect(r).toMatchObject({ status: 200, timedOut: false, attempt: 0 });
    const [req] = app.requests;
    if (!req) throw new Error('no request');
    expect(() => verify(req)).not.toThrow();
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(req.form)).toEqual({
      token: slack.config.verificationToken,
      team_id: slack.config.teamId,
      team_domain: slack.config.teamDomain,
      channel_id: 'C0DEPLOYS',
      channel_name: 'deploys',
      user_id: 'U0ALICE',
      user_name: 'alice',
      command: '/deploy',
      text: 'web to staging',
      api_app_id: slack.config.appId,
      is_enterprise_install: 'false',
      response_url: r.responseUrl,
      trigger_id: r.triggerId,
    });
  });

  it('forges a bad signature or a stale timestamp on request, which Bolt refuses', async () => {
    await setup(() => ({ status: 401 }));
    await slack.slashCommand({ user: 'U0ALICE', channel: 'C0DEPLOYS', forge: 'signature' });
    await slack.slashCommand({ user: 'U0ALICE', channel: 'C0DEPLOYS', forge: 'stale' });
    const [forged, stale] = app.requests;
    if (!forged || !stale) throw new Error('missing requests');
    expect(() => verify(forged)).toThrow(/signature mismatch/);
    expect(() => verify(stale)).toThrow(/stale/);
    expect(Number(stale.headers['x-slack-request-timestamp'])).toBeLessThan(
      Date.now() / 1000 - 5 * 60,
    );
    expect(() => verify(stale, 'another-secret')).toThrow();
  });

  it('clicks a button: a block_actions payload in a form field', async () => {
    await setup();
    const client = new WebClient(slack.config.botToken, {
      slackApiUrl: slack.apiUrl,
      logLevel: LogLevel.ERROR,
    });
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: 'QA for web 1.4.2' } },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Approve' },
            action_id: 'qa_approve',
            value: 'ref-1',
            style: 'primary',
          },
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Reject' },
            action_id: 'qa_reject',
            value: 'ref-1',
          },
        ],
      },
    ];
    const posted = await client.chat.postMessage({ channel: 'C0DEPLOYS', text: 'QA?', blocks });
    const r = await slack.clickButton({
      user: 'U0ALICE',
      channel: 'C0DEPLOYS',
      ts: posted.ts as string,
      actionId: 'qa_reject',
    });
    const [req] = app.requests;
    if (!req?.json) throw new Error('no payload');
    expect(() => verify(req)).not.toThrow();
    expect([...req.form.keys()]).toEqual(['payload']);
    expect(req.json).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ALICE', username: 'alice' },
      channel: { id: 'C0DEPLOYS' },
      container: {
        type: 'message',
        message_ts: posted.ts,
        channel_id: 'C0DEPLOYS',
        is_ephemeral: false,
      },
      message: { ts: posted.ts, text: 'QA?' },
      response_url: r.responseUrl,
      trigger_id: r.triggerId,
      actions: [
        {
          action_id: 'qa_reject',
          block_id: 'b1',
          value: 'ref-1',
          type: 'button',
          action_ts: r.actionTs,
        },
      ],
    });
    await expect(
      slack.clickButton({
        user: 'U0ALICE',
        channel: 'C0DEPLOYS',
        ts: posted.ts as string,
        actionId: 'nope',
      }),
    ).rejects.toThrow(/no button "nope" \(buttons: qa_approve, qa_reject\)/);
  });

  it('mentions the bot: an app_mention event_callback, and the message in the channel', async () => {
    await setup();
    const r = await slack.mention({ user: 'U0ALICE', channel: 'C0DEPLOYS', text: 'deploy web' });
    const [req] = app.requests;
    if (!req?.json) throw new Error('no event');
    expect(() => verify(req)).not.toThrow();
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toMatchObject({
      type: 'event_callback',
      team_id: slack.config.teamId,
      api_app_id: slack.config.appId,
      event_id: r.eventId,
      event: {
        type: 'app_mention',
        user: 'U0ALICE',
        channel: 'C0DEPLOYS',
        text: `<@${slack.config.botUserId}> deploy web`,
        ts: r.ts,
      },
    });
    expect(r.eventId).toMatch(/^Ev[0-9A-F]+$/);
    expect(req.json.event_time).toBeTypeOf('number');
    expect(slack.history('C0DEPLOYS')[0]).toMatchObject({
      user: 'U0ALICE',
      source: 'user',
      ts: r.ts,
    });
  });
});

describe('Events API retries and the 3-second rule', () => {
  it('redelivers the same event_id with X-Slack-Retry-Num and -Reason on request', async () => {
    await setup();
    const r = await slack.mention({
      user: 'U0ALICE',
      channel: 'C0DEPLOYS',
      text: 'status',
      retry: { count: 2, reason: 'http_timeout' },
    });
    expect(r.deliveries.map((d) => d.attempt)).toEqual([0, 1, 2]);
    expect(
      app.requests.map((q) => [
        q.json?.event_id,
        q.headers['x-slack-retry-num'],
        q.headers['x-slack-retry-reason'],
      ]),
    ).toEqual([
      [r.eventId, undefined, undefined],
      [r.eventId, '1', 'http_timeout'],
      [r.eventId, '2', 'http_timeout'],
    ]);
    for (const q of app.requests) expect(() => verify(q)).not.toThrow();
    expect(slack.history('C0DEPLOYS')).toHaveLength(1);
  });

  it('counts an answer later than the ack timeout and retries the event at once', async () => {
    await setup((_r, i) => (i === 0 ? { delayMs: 600 } : {}), {
      ackTimeoutMs: 250,
      eventRetryDelaysMs: [0, 50, 50],
    });
    const r = await slack.mention({ user: 'U0ALICE', channel: 'C0DEPLOYS', text: 'slow' });
    expect(r.timedOut).toBe(true);
    await until(() => app.requests.length === 2);
    await new Promise((res) => setTimeout(res, 150));
    expect(app.requests).toHaveLength(2);
    expect(app.requests[1]?.headers).toMatchObject({
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect(app.requests[1]?.json?.event_id).toBe(r.eventId);
    expect(slack.timeouts()).toEqual({ slash_commands: 0, interactive: 0, events_api: 1 });
  });

  it('retries errors three times, unless the app says X-Slack-No-Retry', async () => {
    await setup(
      (req) =>
        req.json?.event && (req.json.event as { text: string }).text.endsWith('no-retry')
          ? { status: 500, headers: { 'x-slack-no-retry': '1' } }
          : { status: 500 },
      { eventRetryDelaysMs: [0, 20, 20] },
    );
    const r = await slack.mention({ user: 'U0ALICE', channel: 'C0DEPLOYS', text: 'boom' });
    await until(() => slack.deliveries().length === 4);
    expect(app.requests.map((q) => q.headers['x-slack-retry-reason'])).toEqual([
      undefined,
      'http_error',
      'http_error',
      'http_error',
    ]);
    expect(slack.deliveries().filter((d) => d.eventId === r.eventId)).toHaveLength(4);
    await slack.mention({ user: 'U0ALICE', channel: 'C0DEPLOYS', text: 'no-retry' });
    await new Promise((res) => setTimeout(res, 100));
    expect(app.requests).toHaveLength(5);
  });

  it('records a slow slash command as a timeout and does not retry it', async () => {
    await setup(() => ({ delayMs: 300 }), { ackTimeoutMs: 100 });
    const r = await slack.slashCommand({ user: 'U0ALICE', channel: 'C0DEPLOYS', text: 'web' });
    expect(r.timedOut).toBe(true);
    expect(r.status).toBeUndefined();
    expect(r.ms).toBeGreaterThanOrEqual(95);
    await new Promise((res) => setTimeout(res, 300));
    expect(app.requests).toHaveLength(1);
    expect(slack.timeouts().slash_commands).toBe(1);
  });
});
