import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { type LocalSlackConfig, SocketAck } from './schema.js';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface SocketResult {
  ack?: Record<string, unknown> | undefined;
  ms: number;
  timedOut: boolean;
  error?: string | undefined;
}

export interface SocketMode {
  /** What apps.connections.open returns: a one-use `ws://…/socket/<ticket>` URL. */
  issueUrl(): string;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sends one envelope and waits for its ack up to the 3-second rule. */
  send(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    retry: { attempt: number; reason: string },
  ): Promise<SocketResult>;
  /** Asks every client to reconnect, as Slack does before recycling a link. */
  disconnect(reason?: string): void;
  connections(): number;
  waitForConnection(timeoutMs?: number): Promise<void>;
  /** Closes every link with a close frame (1001), terminating those that do not answer. */
  close(): Promise<void>;
}

const TICKET_TTL_MS = 5 * 60_000;

/**
 * Socket Mode as documented in docs.slack.dev/apis/events-api/using-socket-mode: a `hello`
 * on connect, envelopes `{ envelope_id, type, payload, accepts_response_payload,
 * retry_attempt, retry_reason }`, acks `{ envelope_id, payload? }`, and
 * `{ type: 'disconnect', reason: 'refresh_requested' }` before a link is recycled.
 */
export function createSocketMode(deps: {
  cfg: LocalSlackConfig;
  baseUrl: () => string;
  log: Logger;
}): SocketMode {
  const { cfg } = deps;
  const log = deps.log.child({ component: 'local-slack-socket' });
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Map<string, number>();
  const open: WebSocket[] = [];
  const pending = new Map<string, (ack: Record<string, unknown>) => void>();
  let turn = 0;
  let waiters: Array<() => void> = [];

  function onConnection(ws: WebSocket): void {
    open.push(ws);
    const ping = setInterval(() => ws.ping(), cfg.socketPingIntervalMs);
    ping.unref();
    ws.on('message', (data) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(data));
      } catch {
        log.warn({ data: String(data) }, 'socket message is not JSON');
        return;
      }
      const ack = SocketAck.safeParse(parsed);
      if (!ack.success) return log.warn({ message: parsed }, 'socket message is not an ack');
      const resolve = pending.get(ack.data.envelope_id);
      if (!resolve) return log.info({ envelopeId: ack.data.envelope_id }, 'late or unknown ack');
      pending.delete(ack.data.envelope_id);
      resolve(ack.data.payload ?? {});
    });
    ws.on('close', () => {
      clearInterval(ping);
      const at = open.indexOf(ws);
      if (at >= 0) open.splice(at, 1);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: open.length,
        debug_info: {
          host: 'local-slack',
          build_number: 1,
          approximate_connection_time: 18_060,
        },
        connection_info: { app_id: cfg.appId },
      }),
    );
    for (const w of waiters) w();
    waiters = [];
  }

  return {
    issueUrl() {
      const ticket = randomBytes(16).toString('hex');
      tickets.set(ticket, Date.now() + TICKET_TTL_MS);
      return `${deps.baseUrl().replace(/^http/, 'ws')}/socket/${ticket}`;
    },

    handleUpgrade(req, socket, head) {
      const ticket = /^\/socket\/([0-9a-f]+)/.exec(req.url ?? '')?.[1] ?? '';
      const expires = tickets.get(ticket);
      tickets.delete(ticket);
      if (!expires || expires < Date.now()) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, onConnection);
    },

    send(type, payload, retry) {
      const live = open.filter((w) => w.readyState === w.OPEN);
      // "each payload may be sent to any of the connections" (using-socket-mode).
      const ws = live[turn++ % Math.max(1, live.length)];
      if (!ws) return Promise.resolve({ ms: 0, timedOut: false, error: 'no_connection' });
      const envelopeId = randomUUID();
      const started = performance.now();
      return new Promise<SocketResult>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(envelopeId);
          resolve({ ms: performance.now() - started, timedOut: true });
        }, cfg.ackTimeoutMs);
        pending.set(envelopeId, (ack) => {
          clearTimeout(timer);
          resolve({ ack, ms: performance.now() - started, timedOut: false });
        });
        ws.send(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            accepts_response_payload: type !== 'events_api',
            retry_attempt: retry.attempt,
            retry_reason: retry.reason,
          }),
        );
      });
    },

    disconnect(reason = 'refresh_requested') {
      const message = JSON.stringify({
        type: 'disconnect',
        reason,
        debug_info: { host: 'local-slack' },
      });
      for (const ws of [...open]) {
        ws.send(message);
        // Slack closes the link itself if the client does not; give the client a moment first.
        setTimeout(() => ws.terminate(), 1_000).unref();
      }
    },

    connections: () => open.filter((w) => w.readyState === w.OPEN).length,

    waitForConnection(timeoutMs = 5_000) {
      if (open.some((w) => w.readyState === w.OPEN)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`local-slack: no Socket Mode connection within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },

    async close() {
      tickets.clear();
      await Promise.all(
        [...open].map(
          (ws) =>
            new Promise<void>((resolve) => {
              const force = setTimeout(() => ws.terminate(), 500);
              ws.once('close', () => {
                clearTimeout(force);
                resolve();
              });
              ws.close(1001, 'local slack stopping');
            }),
        ),
      );
      wss.close();
    },
  };
}
