import type { Logger } from 'pino';
import { createDedupe } from '../../core/dedupe.js';
import { WorkflowRunEvent } from '../../drivers/github-actions/schema.js';
import { readBody } from '../../http/body.js';
import { sha256SignatureMatches } from '../../http/credentials.js';
import { header, parseJsonOrForm } from '../../http/request.js';
import { type Route, sendJson, sendNotConfigured } from '../../http/router.js';

export interface GitHubWebhookDeps {
  /** GITHUB_WEBHOOK_SECRET; without it every delivery is refused (none can be verified). */
  secret: string | undefined;
  /** Called with each verified, first-seen `workflow_run` delivery, after it is answered. */
  onWorkflowRun(event: WorkflowRunEvent): void;
  log: Logger;
  /** Delivery ids remembered to drop redeliveries. */
  dedupeSize?: number;
}

// GitHub caps payloads at 25 MB (docs.github.com/webhooks/webhook-events-and-payloads), for
// pushes of many commits. A workflow_run delivery carries one run and its repository, tens of
// KiB; reading 25 MB for any caller with a plausible header let 40 requests take 900 MB.
const MAX_BODY = 1024 * 1024;

/** The events Slipway reads; others are acknowledged without reading their bodies. */
const READ_EVENTS = new Set(['workflow_run', 'ping']);

/**
 * `POST /hooks/github`: GitHub's webhooks. Verifies `X-Hub-Signature-256` (`sha256=` and the hex
 * HMAC-SHA256 of the raw body under the webhook's secret, compared in constant time:
 * docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries), answers `ping`, drops a
 * `X-GitHub-Delivery` already seen (a redelivery), and hands `workflow_run` events on. Other
 * events are acknowledged and ignored, so a webhook subscribed to more does not show failures;
 * their bodies are not read, since nothing in them is acted on. Everything that the headers
 * can refuse (no secret configured: 503; no well-formed signature: 401) is refused before the
 * body is read.
 */
export function githubWebhookRoute(deps: GitHubWebhookDeps): Route {
  const log = deps.log.child({ component: 'github-webhook' });
  // The last deliveries, however old: GitHub's "Redeliver" can come days later.
  const seen = createDedupe(Number.POSITIVE_INFINITY, deps.dedupeSize ?? 10_000);
  return {
    method: 'POST',
    path: '/hooks/github',
    hook: 'github',
    async handler(req, res) {
      const event = header(req, 'x-github-event');
      const delivery = header(req, 'x-github-delivery');
      if (!deps.secret) {
        log.warn({ event, delivery }, 'refused a GitHub delivery: no webhook secret is set');
        sendNotConfigured(
          res,
          "Slipway has no GITHUB_WEBHOOK_SECRET, so it cannot verify GitHub's deliveries: set it to the webhook's secret.",
        );
        return;
      }
      /** A delivery not signed with the secret: logged, and refused with what to fix. */
      const refuseSignature = (logged: string, message: string) => {
        log.warn({ event, delivery }, logged);
        sendJson(res, 401, { error: 'invalid_signature', message });
      };
      const signature = header(req, 'x-hub-signature-256');
      if (!SIGNATURE_FORMAT.test(signature ?? '')) {
        refuseSignature(
          'refused an unsigned GitHub delivery',
          'X-Hub-Signature-256 is missing or is not sha256= and 64 hex digits: give the webhook a secret equal to GITHUB_WEBHOOK_SECRET.',
        );
        return;
      }
      if (!READ_EVENTS.has(event ?? '')) {
        sendJson(res, 202, { message: `ignored: Slipway acts on workflow_run, not ${event}.` });
        return;
      }
      const raw = await readBody(req, MAX_BODY);
      if (!sha256SignatureMatches(deps.secret, raw, signature)) {
        refuseSignature(
          'refused a GitHub delivery that failed verification',
          "X-Hub-Signature-256 does not match the body: the webhook's secret must equal GITHUB_WEBHOOK_SECRET.",
        );
        return;
      }
      if (event === 'ping') {
        sendJson(res, 200, { message: 'pong' });
        return;
      }
      // JSON, or a form with the JSON in `payload` when the webhook says so.
      const body = parseJsonOrForm(header(req, 'content-type'), raw.toString('utf8'));
      const parsed = WorkflowRunEvent.safeParse(body);
      if (!parsed.success) {
        sendJson(res, 400, {
          error: 'invalid_payload',
          message: `Not a workflow_run payload: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
        });
        return;
      }
      if (delivery && !seen.first(delivery)) {
        sendJson(res, 200, { message: 'already received' });
        return;
      }
      sendJson(res, 200, { message: 'received' });
      const run = parsed.data.workflow_run;
      log.debug({ delivery, action: parsed.data.action, runId: run.id }, 'workflow_run received');
      try {
        deps.onWorkflowRun(parsed.data);
      } catch (err) {
        log.error({ err, delivery }, 'handling a workflow_run delivery failed');
      }
    },
  };
}

const SIGNATURE_FORMAT = /^sha256=[0-9a-f]{64}$/;
