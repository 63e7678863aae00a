import { SocketModeClient } from '@slack/socket-mode';
import type { Logger } from 'pino';
import type { Admission } from '../inbound.js';
import { type SlackAckBody, slackDelivery } from './ack.js';
import { normalizeSlack } from './normalize.js';

export interface SlackSocketOptions {
  /** Where verified events go (inbound.ts). */
  admission: Admission;
  log: Logger;
  /** The app-level token (`xapp-…`, scope connections:write). */
  appToken: string;
  /** Web API base URL (SLACK_API_URL), where apps.connections.open is called. */
  apiUrl: string;
  slashCommand?: string;
}

export interface SlackSocket {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Socket Mode: Slack pushes the same payloads over a WebSocket, so no public URL is needed
 * inside a cluster (api.slack.com/apis/socket-mode). Envelopes are acknowledged first and
 * handled after, as over HTTP; a redelivered envelope is acknowledged and ignored. They come
 * over Slipway's own authenticated connection, so none can be replayed by someone else: the
 * in-memory check of repeats is enough.
 */
export function createSlackSocket(options: SlackSocketOptions): SlackSocket {
  const log = options.log.child({ component: 'slack-socket' });
  const client = new SocketModeClient({
    appToken: options.appToken,
    clientOptions: { slackApiUrl: options.apiUrl },
    logger: pinoToSlackLogger(log),
  });
  client.on(
    'slack_event',
    async ({
      ack,
      body,
      type,
      retry_num,
    }: {
      ack: (payload?: Record<string, unknown>) => Promise<void>;
      body: unknown;
      type: string;
      retry_num?: number;
    }) => {
      const normalized = normalizeSlack(body, options.slashCommand);
      if (normalized.kind !== 'event') {
        await ack();
        if (normalized.kind === 'invalid')
          log.warn({ type, why: normalized.why }, 'ignored an invalid Socket Mode payload');
        return;
      }
      const { event } = normalized;
      // An envelope's acknowledgement carries what an HTTP 200 would (api.slack.com/apis/socket-mode).
      const write = (payload?: SlackAckBody) => {
        ack(payload && { ...payload }).catch((err: unknown) =>
          log.warn({ err, deliveryId: event.deliveryId }, 'could not acknowledge a Slack envelope'),
        );
      };
      options.admission.admit(event, slackDelivery(event, write, { retry: retry_num }));
    },
  );
  return {
    async start() {
      await client.start();
      log.info('connected to Slack in Socket Mode');
    },
    async stop() {
      await client.disconnect();
    },
  };
}

/** @slack/socket-mode wants its own Logger shape; route it into pino. */
function pinoToSlackLogger(log: Logger) {
  let level = 'info';
  return {
    debug: (...msg: unknown[]) => log.debug({ sdk: true }, msg.map(String).join(' ')),
    info: (...msg: unknown[]) => log.debug({ sdk: true }, msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => log.warn({ sdk: true }, msg.map(String).join(' ')),
    error: (...msg: unknown[]) => log.error({ sdk: true }, msg.map(String).join(' ')),
    setLevel: (next: string) => {
      level = next;
    },
    getLevel: () => level as never,
    setName: () => {},
  };
}
