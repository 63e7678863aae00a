import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBlocks } from './blocks.js';
import { createLocalSlack } from './index.js';
import { SLACK_LIMITS } from './limits.js';
import type { Block } from './types.js';

const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const button = (over: Record<string, unknown> = {}) => ({
  type: 'button',
  text: plain('Approve'),
  action_id: 'approve',
  value: 'ref-1',
  ...over,
});
const section = (text: string) => ({ type: 'section', text: mrkdwn(text) });
const x = (n: number) => 'x'.repeat(n);

/** One message per documented limit, each just past it, and the pointer Slack would name. */
const OVER_LIMIT: Array<[string, Block[], string]> = [
  ['more than 50 blocks', Array.from({ length: 51 }, () => ({ type: 'divider' })), '/blocks'],
  ['section text over 3000', [section(x(3001))], '/blocks/0/text/text'],
  [
    'more than 10 section fields',
    [{ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('f')) }],
    '/blocks/0/fields',
  ],
  [
    'a field over 2000',
    [{ type: 'section', fields: [mrkdwn(x(2001))] }],
    '/blocks/0/fields/0/text',
  ],
  ['header over 150', [{ type: 'header', text: plain(x(151)) }], '/blocks/0/text/text'],
  ['header in mrkdwn', [{ type: 'header', text: mrkdwn('*h*') }], '/blocks/0/text/type'],
  [
    'more than 10 context elements',
    [{ type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('c')) }],
    '/blocks/0/elements',
  ],
  [
    'more than 25 actions elements',
    [
      {
        type: 'actions',
        elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })),
      },
    ],
    '/blocks/0/elements',
  ],
  [
    'button text over 75',
    [{ type: 'actions', elements: [button({ text: plain(x(76)) })] }],
    '/blocks/0/elements/0/text/text',
  ],
  [
    'button value over 2000',
    [{ type: 'actions', elements: [button({ value: x(2001) })] }],
    '/blocks/0/elements/0/value',
  ],
  [
    'action_id over 255',
    [{ type: 'actions', elements: [button({ action_id: x(256) })] }],
    '/blocks/0/elements/0/action_id',
  ],
  [
    'button url over 3000',
    [{ type: 'actions', elements: [button({ url: `https://e.x/${x(2990)}` })] }],
    '/blocks/0/elements/0/url',
  ],
  ['block_id over 255', [{ type: 'divider', block_id: x(256) }], '/blocks/0/block_id'],
  [
    'a duplicate block_id',
    [
      { type: 'divider', block_id: 'd' },
      { type: 'divider', block_id: 'd' },
    ],
    '/blocks/1/block_id',
  ],
  [
    'a duplicate action_id',
    [
      { type: 'actions', elements: [button()] },
      { type: 'section', text: mrkdwn('s'), accessory: button() },
    ],
    '/blocks/1/accessory/action_id',
  ],
  ['empty section text', [section('')], '/blocks/0/text/text'],
  ['an unknown block type', [{ type: 'carousel' }], '/blocks/0/type'],
];

describe('Block Kit limits, through chat.postMessage', () => {
  const slack = createLocalSlack({
    channels: [{ id: 'C0DEPLOYS', name: 'deploys' }],
    // Every case posts to one channel; the per-channel limit is not under test here.
    rateLimits: { 'chat.postMessage': { perMinute: 6000, burst: 100, per: 'channel' } },
  });
  let client: WebClient;
  beforeAll(async () => {
    const { apiUrl } = await slack.start();
    client = new WebClient(slack.config.botToken, {
      slackApiUrl: apiUrl,
      logLevel: LogLevel.ERROR,
    });
  });
  afterAll(() => slack.stop());

  it.each(OVER_LIMIT)('rejects %s as invalid_blocks', async (_name, blocks, pointer) => {
    const err = (await client.chat
      .postMessage({ channel: 'C0DEPLOYS', text: 'fallback', blocks: blocks as never })
      .catch((e: unknown) => e)) as { data: { response_metadata: { messages: string[] } } };
    expect(err.data).toMatchObject({ ok: false, error: 'invalid_blocks' });
    const messages = err.data.response_metadata.messages;
    expect(
      messages.some((m) => m.startsWith('[ERROR] ') && m.endsWith(`[json-pointer:${pointer}]`)),
    ).toBe(true);
    expect(slack.history('C0DEPLOYS')).toEqual([]);
  });

  it('accepts a message exactly at every limit', async () => {
    const blocks: Block[] = [
      {
        type: 'header',
        text: plain(x(SLACK_LIMITS.headerText.max)),
        block_id: x(SLACK_LIMITS.blockId.max),
      },
      section(x(SLACK_LIMITS.sectionText.max)),
      {
        type: 'section',
        fields: Array.from({ length: 10 }, () => mrkdwn(x(SLACK_LIMITS.sectionFieldText.max))),
      },
      { type: 'context', elements: Array.from({ length: 10 }, () => plain('c')) },
      {
        type: 'actions',
        elements: Array.from({ length: 25 }, (_, i) =>
          button({
            action_id: `${i}`.padEnd(SLACK_LIMITS.actionId.max, 'a'),
            value: x(SLACK_LIMITS.buttonValue.max),
          }),
        ),
      },
      ...Array.from({ length: 45 }, () => ({ type: 'divider' })),
    ];
    expect(blocks).toHaveLength(SLACK_LIMITS.messageBlocks.max);
    expect(validateBlocks(blocks)).toEqual([]);
    const r = await client.chat.postMessage({
      channel: 'C0DEPLOYS',
      text: 'ok',
      blocks: blocks as never,
    });
    expect(r.ok).toBe(true);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(validateBlocks([{ type: 'header', text: plain('🚀'.repeat(150)) }])).toEqual([]);
  });
});
