import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { readBody } from '../../http/body.js';
import { header, parseJsonOrForm } from '../../http/request.js';
import type { Route } from '../../http/router.js';
import { sendJson, sendNotConfigured } from '../../http/router.js';
import type { Admission } from '../inbound.js';
import { slackDelivery } from './ack.js';
import { normalizeSlack } from './normalize.js';
import { checkSignatureHeaders, REPLAY_WINDOW_MS, verifySlackSignature } from './verify.js';

export interface SlackHttpOptions {
  signingSecret: string;
  /** Where verified events go (inbound.ts). */
  admission: Admission;
  slashCommand?: string;
  now?: () => number;
  log: Logger;
}

/** Slack's payloads are a few KiB; a view submission with many inputs stays well under this. */
const BODY_LIMIT = 1024 * 1024;

const PATH = '/slack/events';

/**
 * `POST /slack/events`: commands, interactivity and events in one endpoint, as Slack's SDKs
 * expect. Verifies the v0 signature (HMAC-SHA256 over `v0:timestamp:body`, constant-time,
 * timestamps more than 5 minutes off refused: verify.ts), then acknowledges at
 * once: Slack drops a request not answered in 3 s (api.slack.com/interactivity/slash-commands),
 * so the work happens after the answer. Admission (inbound.ts) decides what the acknowledgement
 * carries (ack.ts shapes it). Signed requests can be replayed for minutes, also after a
 * restart, so they are also remembered in the store for as long as their signature verifies.
 */
export function slackEventsRoute(options: SlackHttpOptions): Route {
  const log = options.log.child({ component: 'slack-http' });
  return {
    method: 'POST',
    path: PATH,
    hook: 'slack',
    async handler(req, res) {
      const signed = {
        signature: header(req, 'x-slack-signature'),
        timestamp: header(req, 'x-slack-request-timestamp'),
        nowMs: options.now?.() ?? Date.now(),
      };
      const refuse = (problem: string) => {
        log.warn({ problem }, 'refused a Slack request that failed verification');
        sendJson(res, 401, { error: 'invalid_request', message: problem });
      };
      // The signature covers the body, so only its headers can be judged before reading it.
      const early = checkSignatureHeaders(signed);
      if (early) return refuse(early);
      const raw = (await readBody(req, BODY_LIMIT)).toString('utf8');
      const signingSecret = options.signingSecret;
      const problem = verifySlackSignature({ ...signed, signingSecret, body: raw });
      if (problem) return refuse(problem);
      const body = parseJsonOrForm(header(req, 'content-type'), raw);
      if (body === undefined) {
        sendJson(res, 400, {
          error: 'invalid_body',
          message: 'Body is neither JSON nor form-encoded.',
        });
        return;
      }
      const normalized = normalizeSlack(body, options.slashCommand);
      switch (normalized.kind) {
        case 'challenge':
          sendJson(res, 200, { challenge: normalized.challenge });
          return;
        case 'invalid':
          sendJson(res, 400, { error: 'invalid_payload', message: normalized.why });
          return;
        case 'ignore':
          ack(res);
          return;
        case 'event':
          options.admission.admit(
            normalized.event,
            slackDelivery(
              normalized.event,
              (body) => (body ? sendJson(res, 200, body) : ack(res)),
              {
                retry: req.headers['x-slack-retry-num'],
                replayableForMs: REPLAY_WINDOW_MS,
              },
            ),
          );
      }
    },
  };
}

/**
 * `POST /slack/events` while Slipway has no signing secret (Slack off, or Socket Mode only):
 * mounted anyway, so that a Slack app pointed here learns what to set instead of a 404.
 */
export function slackEventsUnconfigured(mode: { socket: boolean } = { socket: false }): Route {
  const message = mode.socket
    ? "This Slipway receives Slack over Socket Mode (SLACK_APP_TOKEN), not at /slack/events: to take requests here as well, set SLACK_SIGNING_SECRET from your Slack app's Basic Information page."
    : 'Slack is not configured on this Slipway: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (from your Slack app\'s OAuth & Permissions and Basic Information pages) to take requests here, or SLACK_APP_TOKEN for Socket Mode. "slipway slack manifest" prints the app to create.';
  return {
    method: 'POST',
    path: PATH,
    hook: 'slack',
    handler(_req, res) {
      sendNotConfigured(res, message);
    },
  };
}

function ack(res: ServerResponse): void {
  res.writeHead(200, { 'content-length': '0' });
  res.end();
}
