import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { ResponseTarget, ResponseUrls } from './response-url.js';
import type { LocalSlackConfig } from './schema.js';
import type { EnvelopeType, SocketMode } from './socket-mode.js';
import type { Clock, Delivery, DeliveryMode } from './types.js';

/** `signature`: signed with the wrong secret; `stale`: signed 6 minutes ago. */
export type Forge = 'signature' | 'stale';

export interface SendOptions {
  kind: EnvelopeType;
  /** What goes over the wire: form fields or a JSON object (HTTP), the payload (Socket Mode). */
  payload: Record<string, unknown>;
  /** HTTP body encoding for this kind, as Slack sends it. */
  encoding: 'form' | 'form-payload' | 'json';
  forge?: Forge | undefined;
  attempt: number;
  retryReason?: string | undefined;
  /** Slash commands: where an answer carrying a message goes. */
  commandTarget?: ResponseTarget | undefined;
  eventId?: string | undefined;
}

export type RecordedDelivery = Delivery & { eventId?: string | undefined; at: number };

/** One delivery and whether the app asked Slack not to retry it (`X-Slack-No-Retry: 1`). */
export interface Sent {
  delivery: Delivery;
  noRetry: boolean;
}

/** Slack's v0 signature: hex HMAC-SHA256 of `v0:<timestamp>:<body>` (authentication/verifying-requests-from-slack). */
export function signature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/**
 * Delivers what a person did in Slack to the app, over HTTP (signed exactly as Slack signs)
 * or Socket Mode, timing the answer against Slack's 3-second rule.
 */
export function createSender(deps: {
  cfg: LocalSlackConfig;
  clock: Clock;
  socket: SocketMode;
  responseUrls: ResponseUrls;
  delivery: () => DeliveryMode | undefined;
  log: Logger;
}) {
  const { cfg } = deps;
  const log = deps.log.child({ component: 'local-slack-outgoing' });
  const recorded: RecordedDelivery[] = [];
  const inflight = new Set<AbortController>();
  const timeouts: Record<EnvelopeType, number> = {
    slash_commands: 0,
    interactive: 0,
    events_api: 0,
  };

  function encode(o: SendOptions): { body: string; contentType: string } {
    if (o.encoding === 'json') {
      return { body: JSON.stringify(o.payload), contentType: 'application/json' };
    }
    const fields =
      o.encoding === 'form-payload'
        ? { payload: JSON.stringify(o.payload) }
        : (o.payload as Record<string, string>);
    return {
      body: new URLSearchParams(fields).toString(),
      contentType: 'application/x-www-form-urlencoded',
    };
  }

  async function overHttp(requestUrl: string, o: SendOptions): Promise<Sent> {
    const { body, contentType } = encode(o);
    const now = Math.floor(deps.clock() / 1000);
    const timestamp = o.forge === 'stale' ? now - 6 * 60 : now;
    const secret = o.forge === 'signature' ? `${cfg.signingSecret}-forged` : cfg.signingSecret;
    const headers: Record<string, string> = {
      'content-type': contentType,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature(secret, timestamp, body),
    };
    if (o.attempt > 0) {
      headers['x-slack-retry-num'] = String(o.attempt);
      headers['x-slack-retry-reason'] = o.retryReason ?? 'http_timeout';
    }
    const controller = new AbortController();
    inflight.add(controller);
    const started = performance.now();
    let gaveUp = false;
    const base = {
      kind: o.kind,
      mode: 'http' as const,
      attempt: o.attempt,
      retryReason: o.retryReason,
    };
    const exchange: Promise<Sent> = fetch(requestUrl, {
      method: 'POST',
      headers,
      body,
      signal: controller.signal,
    })
      .then(async (res) => {
        const text = await res.text();
        const delivery = {
          ...base,
          status: res.status,
          body: text,
          ms: performance.now() - started,
          timedOut: false,
        };
        if (o.commandTarget && res.status === 200 && !gaveUp) {
          answerCommand(o.commandTarget, text, res.headers.get('content-type') ?? '');
        }
        return { delivery, noRetry: res.headers.get('x-slack-no-retry') === '1' };
      })
      .catch((err: unknown) => ({
        delivery: {
          ...base,
          error: controller.signal.aborted ? 'aborted' : `connection_failed: ${String(err)}`,
          ms: performance.now() - started,
          timedOut: false,
        },
        noRetry: false,
      }))
      .finally(() => inflight.delete(controller));
    let timer: NodeJS.Timeout | undefined;
    // Slack stops waiting after 3 s; the app's late answer is read but no longer shown.
    const late = new Promise<Sent>((resolve) => {
      timer = setTimeout(() => {
        gaveUp = true;
        resolve({
          delivery: { ...base, ms: performance.now() - started, timedOut: true },
          noRetry: false,
        });
      }, cfg.ackTimeoutMs);
    });
    const result = await Promise.race([exchange, late]);
    clearTimeout(timer);
    return result;
  }

  /** A slash command answered with a message shows it, as the request's own response. */
  function answerCommand(target: ResponseTarget, body: string, contentType: string): void {
    if (body.trim() === '') return;
    let message: unknown = { text: body };
    if (contentType.includes('application/json')) {
      try {
        message = JSON.parse(body);
      } catch {
        log.warn({ body }, 'slash command answer is not JSON');
        return;
      }
    }
    const answer = deps.responseUrls.apply(target, message, 'command_response');
    if (answer.status !== 200) log.warn({ answer: answer.body }, 'invalid_command_response');
  }

  async function overSocket(o: SendOptions): Promise<Sent> {
    const r = await deps.socket.send(o.kind, o.payload, {
      attempt: o.attempt,
      reason: o.retryReason ?? '',
    });
    if (o.commandTarget && r.ack && Object.keys(r.ack).length > 0) {
      const answer = deps.responseUrls.apply(o.commandTarget, r.ack, 'command_response');
      if (answer.status !== 200) log.warn({ answer: answer.body }, 'invalid_command_response');
    }
    return {
      delivery: {
        kind: o.kind,
        mode: 'socket',
        attempt: o.attempt,
        retryReason: o.retryReason,
        ...r,
      },
      noRetry: false,
    };
  }

  function mode(): DeliveryMode {
    const m = deps.delivery();
    if (!m) {
      throw new Error(
        'local-slack: no delivery mode; pass `delivery` to createLocalSlack or call setDelivery()',
      );
    }
    return m;
  }

  return {
    /** Throws when there is nowhere to deliver to (or to forge over), before anything is recorded. */
    assertReady(forge?: Forge): void {
      if (forge && mode().mode === 'socket') {
        throw new Error('local-slack: forge applies to HTTP delivery only');
      }
      mode();
    },
    async send(o: SendOptions): Promise<Sent> {
      const m = mode();
      const sent = m.mode === 'http' ? await overHttp(m.requestUrl, o) : await overSocket(o);
      const d = sent.delivery;
      if (d.timedOut) timeouts[o.kind] += 1;
      recorded.push({ ...d, eventId: o.eventId, at: deps.clock() });
      log.debug({ kind: o.kind, attempt: o.attempt, ms: d.ms, timedOut: d.timedOut }, 'delivered');
      return sent;
    },
    deliveries: (): RecordedDelivery[] => [...recorded],
    timeouts: () => ({ ...timeouts }),
    abortAll(): void {
      for (const c of inflight) c.abort();
    },
  };
}

export type Sender = ReturnType<typeof createSender>;
