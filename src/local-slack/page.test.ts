import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RecordingApp, startRecordingApp } from '../../test/support/recording-app.js';
import { createLocalSlack, type LocalSlack } from './index.js';

let slack: LocalSlack;
let app: RecordingApp;
let client: WebClient;

beforeEach(async () => {
  app = await startRecordingApp();
  slack = createLocalSlack({
    channels: [{ id: 'C0DEPLOYS', name: 'deploys' }],
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
    ],
    delivery: { mode: 'http', requestUrl: app.url },
  });
  await slack.start();
  client = new WebClient(slack.config.botToken, {
    slackApiUrl: slack.apiUrl,
    logLevel: LogLevel.ERROR,
  });
});
afterEach(async () => {
  await slack.stop();
  await app.close();
});

const page = (path: string, body?: unknown) =>
  fetch(`${slack.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });

describe('the dev page', () => {
  it('serves a self-contained page whose script parses', async () => {
    const r = await page('/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    const html = await r.text();
    expect(html).toContain('<title>local Slack');
    expect(html).not.toMatch(/<script[^>]+src=/);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    expect(script).toContain("fetch('/_state?user='");
    // Compiles without running: a syntax error in the inline script fails here.
    expect(() => new Function(script)).not.toThrow();
  });

  it('renders blocks and light mrkdwn (script run against a stub DOM)', async () => {
    const html = await (await page('/')).text();
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    const elements = new Map<string, { innerHTML: string; addEventListener: () => void }>();
    const document = {
      addEventListener: () => {},
      getElementById: (id: string) => {
        if (!elements.has(id)) elements.set(id, { innerHTML: '', addEventListener: () => {} });
        return elements.get(id);
      },
    };
    const never = () => new Promise(() => {});
    const run = new Function(
      'document',
      'fetch',
      'setInterval',
      `${script}; return { S, render, mrkdwn };`,
    );
    const ui = run(document, never, () => 0);
    ui.S.data = {
      bot: { id: 'U0SLIPWAY', name: 'slipway' },
      users: [{ id: 'U0BOB', name: 'bob' }],
      ephemerals: [],
      channels: [
        {
          id: 'C1',
          name: 'deploys',
          isIm: false,
          messages: [
            {
              ts: '1767607200.000100',
              userName: 'slipway',
              text: 'fallback',
              blocks: [
                { type: 'header', text: { type: 'plain_text', text: 'web → staging' } },
                { type: 'section', fields: [{ type: 'mrkdwn', text: '*State*' }] },
                { type: 'divider' },
                { type: 'context', elements: [{ type: 'mrkdwn', text: 'by <@U0BOB>' }] },
                {
                  type: 'actions',
                  elements: [
                    {
                      type: 'button',
                      text: { type: 'plain_text', text: 'Roll back' },
                      action_id: 'rb',
                      style: 'danger',
                    },
                  ],
                },
              ],
              replies: [
                { ts: '1767607201.000100', userName: 'slipway', text: 'step 1 done', blocks: null },
              ],
            },
          ],
        },
      ],
    };
    ui.render();
    expect(ui.mrkdwn('*web* `1.4.2` <https://x.test/r|logs> <@U0BOB> <b>')).toBe(
      '<b>web</b> <code>1.4.2</code> <a href="https://x.test/r" target="_blank">logs</a> <b>@bob</b> &lt;b&gt;',
    );
    const out = elements.get('messages')?.innerHTML ?? '';
    expect(out).toContain('<h3>web → staging</h3>');
    expect(out).toContain('<div class="fields"><div><b>State</b></div></div>');
    expect(out).toContain('<hr>');
    expect(out).toContain('by <b>@bob</b>');
    expect(out).toContain('data-action="rb" data-block="b4">Roll back</button>');
    expect(out).toContain('class="msg reply"');
    expect(elements.get('channels')?.innerHTML).toContain('#deploys');
  });

  it('shows channels, DMs, threads and the chosen user’s ephemerals as JSON', async () => {
    const blocks = [{ type: 'header', text: { type: 'plain_text', text: 'web 1.4.2 → staging' } }];
    const parent = await client.chat.postMessage({ channel: 'C0DEPLOYS', text: 'deploy', blocks });
    await client.chat.postMessage({
      channel: 'C0DEPLOYS',
      text: 'log',
      thread_ts: parent.ts as string,
    });
    const dm = await client.conversations.open({ users: 'U0BOB' });
    await client.chat.postMessage({ channel: dm.channel?.id as string, text: 'approve?' });
    await client.chat.postEphemeral({ channel: 'C0DEPLOYS', user: 'U0ALICE', text: 'psst' });

    const state = await (await page('/_state?user=U0ALICE')).json();
    expect(state.users).toEqual([
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
    ]);
    expect(state.channels).toMatchObject([
      {
        id: 'C0DEPLOYS',
        isIm: false,
        messages: [{ text: 'deploy', blocks, userName: 'slipway', replies: [{ text: 'log' }] }],
      },
      { id: dm.channel?.id, name: 'bob', isIm: true, messages: [{ text: 'approve?' }] },
    ]);
    expect(state.ephemerals).toMatchObject([{ channel: 'C0DEPLOYS', text: 'psst' }]);
    expect((await (await page('/_state?user=U0BOB')).json()).ephemerals).toEqual([]);
  });

  it('sends /deploy as a slash command, other text as a mention, and clicks buttons', async () => {
    const command = await page('/_page/command', {
      user: 'U0ALICE',
      channel: 'C0DEPLOYS',
      text: '/deploy web to staging',
    });
    expect(await command.json()).toMatchObject({ kind: 'slash_commands', status: 200 });
    expect(app.requests[0]?.form.get('text')).toBe('web to staging');

    await page('/_page/command', { user: 'U0ALICE', channel: 'C0DEPLOYS', text: 'status web' });
    expect(app.requests[1]?.json).toMatchObject({
      event: { type: 'app_mention', text: `<@${slack.config.botUserId}> status web` },
    });

    const blocks = [
      {
        type: 'actions',
        block_id: 'approval',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Approve' },
            action_id: 'approve',
            value: 'r1',
          },
        ],
      },
    ];
    const p = await client.chat.postMessage({ channel: 'C0DEPLOYS', text: 'approve?', blocks });
    const click = await page('/_page/click', {
      user: 'U0BOB',
      channel: 'C0DEPLOYS',
      ts: p.ts,
      actionId: 'approve',
      blockId: 'approval',
    });
    expect(click.status).toBe(200);
    expect(app.requests[2]?.json).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0BOB' },
      actions: [{ action_id: 'approve', block_id: 'approval' }],
    });

    const bad = await page('/_page/command', {
      user: 'U0NOBODY',
      channel: 'C0DEPLOYS',
      text: 'hi',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'local-slack: unknown user "U0NOBODY"' });
  });

  it('shows the acting person’s open modal, and submits or cancels it for them', async () => {
    const blocks = [
      {
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'R' }, action_id: 'no' }],
      },
    ];
    const p = await client.chat.postMessage({ channel: 'C0DEPLOYS', text: 'reject?', blocks });
    const openFor = async () => {
      const click = await page('/_page/click', {
        user: 'U0BOB',
        channel: 'C0DEPLOYS',
        ts: p.ts,
        actionId: 'no',
      });
      const { triggerId } = (await click.json()) as { triggerId: string };
      const view = {
        type: 'modal',
        title: { type: 'plain_text', text: 'Reject the build' },
        submit: { type: 'plain_text', text: 'Reject' },
        blocks: [
          {
            type: 'input',
            block_id: 'reason',
            label: { type: 'plain_text', text: 'Why is it rejected?' },
            element: { type: 'plain_text_input', action_id: 'reason', multiline: true },
          },
        ],
      };
      const r = await client.apiCall('views.open', { trigger_id: triggerId, view });
      return (r as unknown as { view: { id: string } }).view.id;
    };
    const viewId = await openFor();
    const state = await (await page('/_state?user=U0BOB')).json();
    expect(state.modal).toMatchObject({
      id: viewId,
      title: 'Reject the build',
      submit: 'Reject',
      close: null,
      errors: {},
    });
    expect((await (await page('/_state?user=U0ALICE')).json()).modal).toBeNull();

    // Drawn by the page's script: a text area per input, the app's errors under it.
    const html = await (await page('/')).text();
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    const elements = new Map<string, Record<string, unknown>>();
    const document = {
      addEventListener: () => {},
      getElementById: (id: string) => {
        if (!elements.has(id)) elements.set(id, { innerHTML: '', addEventListener: () => {} });
        return elements.get(id);
      },
    };
    const run = new Function(
      'document',
      'fetch',
      'setInterval',
      `${script}; return { S, render };`,
    );
    const ui = run(
      document,
      () => new Promise(() => {}),
      () => 0,
    );
    ui.S.data = {
      bot: { id: 'U0SLIPWAY', name: 'slipway' },
      users: [{ id: 'U0BOB', name: 'bob' }],
      ephemerals: [],
      channels: [],
      modal: { ...state.modal, errors: { reason: 'Say why' } },
    };
    ui.S.drafts[viewId] = { reason: 'typed <so far>' };
    ui.render();
    const drawn = String(elements.get('overlay')?.innerHTML);
    expect(drawn).toContain('<h3>Reject the build</h3>');
    expect(drawn).toContain(
      '<textarea rows="4" data-input="reason">typed &lt;so far&gt;</textarea>',
    );
    expect(drawn).toContain('<div class="err">Say why</div>');
    expect(drawn).toContain('>Cancel</button>');

    const submitted = await page('/_page/submit', {
      user: 'U0BOB',
      viewId,
      values: { reason: 'login is broken' },
    });
    expect(await submitted.json()).toMatchObject({ status: 200, closed: true });
    expect(app.requests.at(-1)?.json).toMatchObject({
      type: 'view_submission',
      view: { id: viewId, state: { values: { reason: { reason: { value: 'login is broken' } } } } },
    });
    const again = await openFor();
    const before = app.requests.length;
    expect((await page('/_page/close', { user: 'U0BOB', viewId: again })).status).toBe(200);
    expect((await (await page('/_state?user=U0BOB')).json()).modal).toBeNull();
    // Cancelling tells the app nothing unless the view asked (notify_on_close).
    expect(app.requests.length).toBe(before);
  });

  it('answers a command Slack would not deliver, as Slack does, with the way to type it', async () => {
    const before = app.requests.length;
    const forced = await page('/_page/command', {
      user: 'U0ALICE',
      channel: 'C0DEPLOYS',
      text: '/deploy! web 1.2.3 to production',
    });
    expect(await forced.json()).toEqual({
      error:
        '/deploy! is not a valid command. To override a freeze, type /deploy deploy! web 1.2.3 to production',
    });
    const other = await page('/_page/command', {
      user: 'U0ALICE',
      channel: 'C0DEPLOYS',
      text: '/ship web',
    });
    expect(((await other.json()) as { error: string }).error).toContain('registers /deploy');
    // Nothing reached the app.
    expect(app.requests.length).toBe(before);
  });
});
