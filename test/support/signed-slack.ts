import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LocalSlackConfig, type Message, signature } from '../../src/local-slack/index.js';
import {
  blockActionsPayload,
  findButton,
  slashCommandForm,
  triggerId,
} from '../../src/local-slack/payloads.js';
import type { Channel, User } from '../../src/local-slack/types.js';

/** What Slipway answered one request: its acknowledgement, then anything sent to its response_url. */
export interface SignedAnswer {
  status: number;
  /** The acknowledgement's body (a slash command's answer may ride in it). */
  ack: string;
  /** Message bodies posted to this request's response_url so far, oldest first. */
  responses(): Record<string, unknown>[];
}

export interface SignedSlack {
  /** `/deploy <text>`, as Slack sends a slash command. */
  command(input: { user: string; channel: string; text: string }): Promise<SignedAnswer>;
  /**
   * A click on the button `actionId` of `message` as Slack sends it (block_actions), carrying
   * `value` instead of the button's own when given: a crafted request can say anything there.
   */
  click(input: {
    user: string;
    channel: string;
    message: Message;
    actionId: string;
    value?: string;
  }): Promise<SignedAnswer>;
  close(): Promise<void>;
}

/**
 * Slack requests built by the test and signed with the app's signing secret exactly as Slack
 * signs them (v0 HMAC-SHA256 over `v0:<timestamp>:<body>`, the local Slack's `signature`), with
 * the payload shapes of the local Slack. Unlike the local Slack's people, a click here may carry
 * any `value`, not only the one on the button. Each request gets its own response_url on a
 * small server of this helper, so every private answer is tied to the request it answers.
 */
export async function createSignedSlack(options: {
  cfg: Readonly<LocalSlackConfig>;
  requestUrl: string;
}): Promise<SignedSlack> {
  const { cfg } = options;
  const answers = new Map<string, Record<string, unknown>[]>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const list = answers.get(req.url ?? '');
      if (!list) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'used_url' }));
        return;
      }
      list.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const responseUrl = () => {
    const path = `/response/${randomBytes(8).toString('hex')}`;
    answers.set(path, []);
    return { url: `http://127.0.0.1:${port}${path}`, path };
  };
  const channel = (id: string): Channel => ({
    id,
    name: id.toLowerCase(),
    isIm: id.startsWith('D'),
  });
  const user = (id: string): User => ({
    id,
    name: id.toLowerCase(),
    realName: id,
    isAdmin: false,
    isBot: false,
  });

  async function send(body: string, contentType: string, path: string): Promise<SignedAnswer> {
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(options.requestUrl, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signature(cfg.signingSecret, timestamp, body),
      },
      body,
    });
    const ack = await res.text();
    return { status: res.status, ack, responses: () => [...(answers.get(path) ?? [])] };
  }

  return {
    command(input) {
      const reply = responseUrl();
      const form = slashCommandForm({
        cfg: cfg as LocalSlackConfig,
        channel: channel(input.channel),
        user: user(input.user),
        command: '/deploy',
        text: input.text,
        responseUrl: reply.url,
        triggerId: triggerId(),
      });
      return send(
        new URLSearchParams(form).toString(),
        'application/x-www-form-urlencoded',
        reply.path,
      );
    },
    click(input) {
      const found = findButton(input.message.blocks, input.actionId);
      if ('error' in found) throw new Error(`signed-slack: ${found.error}`);
      const button =
        input.value === undefined ? found.button : { ...found.button, value: input.value };
      const reply = responseUrl();
      const payload = blockActionsPayload({
        cfg: cfg as LocalSlackConfig,
        channel: channel(input.channel),
        user: user(input.user),
        message: input.message,
        ephemeral: false,
        found: { blockId: found.blockId, button },
        actionTs: (Date.now() / 1000).toFixed(6),
        responseUrl: reply.url,
        triggerId: triggerId(),
      });
      return send(
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        'application/x-www-form-urlencoded',
        reply.path,
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A deployment's card as Slipway posts it, reduced to one actions block with one button: what
 * a click on a card carries besides the button, for cards the test did not have posted.
 */
export function drawnCard(input: {
  cfg: Readonly<LocalSlackConfig>;
  channel: string;
  actionId: string;
  value: string;
}): Message {
  const ts = (Date.now() / 1000).toFixed(6);
  return {
    channel: input.channel,
    ts,
    text: 'deployment',
    blocks: [
      {
        type: 'actions',
        block_id: 'actions',
        elements: [
          {
            type: 'button',
            action_id: input.actionId,
            text: { type: 'plain_text', text: input.actionId },
            value: input.value,
          },
        ],
      },
    ],
    user: input.cfg.botUserId,
    botId: input.cfg.botId,
    source: 'api',
    postedAt: Date.now(),
    history: [],
    deleted: false,
  };
}
