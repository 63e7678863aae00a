import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RecordingApp, startRecordingApp } from '../../test/support/recording-app.js';
import { createLocalSlack, type LocalSlack } from './index.js';

let now = Date.parse('2026-01-05T10:00:00Z');
let slack: LocalSlack;
let app: RecordingApp;

beforeEach(async () => {
  app = await startRecordingApp((req) =>
    req.form.get('text') === 'answer-now'
      ? {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ response_type: 'in_channel', text: 'Deploying web' }),
        }
      : {},
  );
  slack = createLocalSlack({
    channels: [{ id: 'C0DEPLOYS', name: 'deploys' }],
    users: [{ id: 'U0ALICE', name: 'alice' }],
    delivery: { mode: 'http', requestUrl: app.url },
    clock: () => now,
  });
  await slack.start();
});
afterEach(async () => {
  await slack.stop();
  await app.close();
});

const respond = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

describe('response_url', () => {
  it('posts ephemeral by default and in_channel on request, at most 5 times', async () => {
    const { responseUrl } = await slack.slashCommand({
      user: 'U0ALICE',
      channel: 'C0DEPLOYS',
      text: 'web',
    });
    expect(responseUrl).toMatch(new RegExp(`^${slack.url}/response/[0-9a-f]+$`));
    expect(await respond(responseUrl, { text: 'only alice' })).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect(
      await respond(responseUrl, { text: 'everyone', response_type: 'in_channel' }),
    ).toMatchObject({
      status: 200,
    });
    for (let i = 3; i <= 5; i++)
      expect((await respond(responseUrl, { text: `use ${i}` })).status).toBe(200);
    expect(await respond(responseUrl, { text: 'sixth' })).toEqual({
      status: 404,
      body: { ok: false, error: 'used_url' },
    });
    expect(slack.ephemerals('U0ALICE').map((e) => e.text)).toEqual([
      'only alice',
      'use 3',
      'use 4',
      'use 5',
    ]);
    const [posted] = slack.history('C0DEPLOYS');
    expect(posted).toMatchObject({
      text: 'everyone',
      user: slack.config.botUserId,
      source: 'response_url',
    });
  });

  it('expires 30 minutes after it was issued', async () => {
    const { responseUrl } = await slack.slashCommand({ user: 'U0ALICE', channel: 'C0DEPLOYS' });
    now += 30 * 60_000;
    expect((await respond(responseUrl, { text: 'just in time' })).status).toBe(200);
    now += 1;
    expect(await respond(responseUrl, { text: 'too late' })).toEqual({
      status: 404,
      body: { ok: false, error: 'expired_url' },
    });
    expect(slack.ephemerals('U0ALICE').map((e) => e.text)).toEqual(['just in time']);
  });

  it('validates blocks, and a refused body does not use the URL up', async () => {
    const { responseUrl } = await slack.slashCommand({ user: 'U0ALICE', channel: 'C0DEPLOYS' });
    const bad = await respond(responseUrl, {
      blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }],
    });
    expect(bad).toMatchObject({ status: 400, body: { ok: false, error: 'invalid_blocks' } });
    expect((await respond(responseUrl, {})).body).toMatchObject({ error: 'no_text' });
    for (let i = 0; i < 5; i++)
      expect((await respond(responseUrl, { text: 'ok' })).status).toBe(200);
  });

  it('replaces or deletes the message whose button was clicked', async () => {
    const client = new WebClient(slack.config.botToken, {
      slackApiUrl: slack.apiUrl,
      logLevel: LogLevel.ERROR,
    });
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: 'Promote web 1.4.2?' } },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Deploy' },
            action_id: 'promote',
            value: 'ref-9',
          },
        ],
      },
    ];
    const posted = await client.chat.postMessage({
      channel: 'C0DEPLOYS',
      text: 'Promote?',
      blocks,
    });
    const ts = posted.ts as string;
    const click = await slack.clickButton({
      user: 'U0ALICE',
      channel: 'C0DEPLOYS',
      ts,
      actionId: 'promote',
    });
    await respond(click.responseUrl, { replace_original: true, text: 'Promoted by alice' });
    expect(slack.message('C0DEPLOYS', ts)).toMatchObject({
      text: 'Promoted by alice',
      blocks: undefined,
    });
    expect(slack.message('C0DEPLOYS', ts)?.history).toHaveLength(1);
    await respond(click.responseUrl, { delete_original: true });
    expect(slack.history('C0DEPLOYS')).toEqual([]);
  });

  it('shows a message the app put in its answer to the slash command', async () => {
    const r = await slack.slashCommand({
      user: 'U0ALICE',
      channel: 'C0DEPLOYS',
      text: 'answer-now',
    });
    expect(r.status).toBe(200);
    expect(slack.history('C0DEPLOYS').map((m) => m.text)).toEqual(['Deploying web']);
  });
});
