import type { Logger } from 'pino';
import type { ChatClient } from '../../chat/types.js';
import type { Config } from '../../config/schema.js';
import { rollbackKey } from '../../engine/follow-ups.js';
import type { Engine, EngineEvent } from '../../engine/index.js';
import { readBody } from '../../http/body.js';
import { bearerToken, sameSecret } from '../../http/credentials.js';
import { parseJson } from '../../http/request.js';
import { type Route, sendJson, sendNotConfigured } from '../../http/router.js';
import type { Store } from '../../store/types.js';
import { groupIdOf } from './group.js';
import { canaryTieOf } from './match.js';
import { createPublisher, type Published } from './publish.js';
import { autoRollBack, recordNotification } from './record.js';
import { describeIssues, Notification } from './schema.js';

export { ALERT_ACTOR } from './view.js';

export interface AlertmanagerDeps {
  /** SLIPWAY_ALERTMANAGER_TOKEN (settings.integrations.alertmanagerToken); unset answers 503. */
  token: string | undefined;
  config: Config;
  store: Store;
  engine: Pick<Engine, 'request' | 'rollBack' | 'cancel' | 'events'>;
  /** Null when Slack is off: groups are still recorded, and rolled back when configured. */
  chat: ChatClient | null;
  log: Logger;
  now?: () => Date;
}

export interface AlertmanagerOptions {
  /** A reservation without a posted message this old was abandoned by a dead process. */
  staleClaimMs?: number;
  /** How long a notification waits for another process posting the same group's message. */
  waitForPosterMs?: number;
  /** At most one call per group's message per this many ms (Slack: about one a second). */
  minUpdateIntervalMs?: number;
  /** Largest body accepted; Alertmanager's `max_alerts` keeps notifications under it. */
  maxBodyBytes?: number;
}

export interface AlertmanagerWebhook {
  /** `POST /hooks/alertmanager`. */
  route: Route;
  /**
   * Follows rollbacks and canaries, so the alert messages about a deployment show how its
   * rollback goes, or its canary's weight and abort.
   */
  start(): void;
  /** Stops following and waits for the messages under way, for at most `withinMs`. */
  stop(options?: { withinMs?: number }): Promise<void>;
}

const PATH = '/hooks/alertmanager';

/**
 * Alertmanager's webhook receiver: each alert group becomes one chat message in the
 * channel of the service its alerts name, updated in place by the group's later notifications,
 * with the recent deployment it may be about and a Roll back button, or an automatic rollback
 * with `alerts.autoRollback` (see README.md beside this file).
 */
export function createAlertmanagerWebhook(
  deps: AlertmanagerDeps,
  options: AlertmanagerOptions = {},
): AlertmanagerWebhook {
  const log = deps.log.child({ component: 'alertmanager' });
  const now = deps.now ?? (() => new Date());
  const recordDeps = { ...deps, log, now };
  const publisher = deps.chat
    ? createPublisher({
        config: deps.config,
        store: deps.store,
        chat: deps.chat,
        log,
        staleClaimMs: options.staleClaimMs ?? 60_000,
        waitForPosterMs: options.waitForPosterMs ?? 5_000,
        minUpdateIntervalMs: options.minUpdateIntervalMs ?? 1_000,
      })
    : null;
  let unsubscribe: (() => void) | null = null;

  async function receive(n: Notification): Promise<{ status: number; body: object }> {
    const groupId = groupIdOf(n.groupKey);
    const serial = publisher?.serial ?? (<T>(_: string, work: () => Promise<T>) => work());
    return serial(groupId, async () => {
      const recorded = await recordNotification(n, groupId, recordDeps);
      const row = await autoRollBack(recorded, recordDeps);
      const about = { group: groupId, episode: row.episode, deployment: row.deploymentId };
      const shown: Published = publisher
        ? await publisher.show(row)
        : { outcome: 'no_channel', why: 'Chat is off (SLACK_BOT_TOKEN is not set).' };
      if (shown.outcome === 'no_channel') {
        log.info(
          { ...about, status: n.status, why: shown.why },
          'alert group recorded, not posted',
        );
        return { status: 202, body: { status: 'recorded', ...about, message: shown.why } };
      }
      log.info({ ...about, status: n.status, outcome: shown.outcome }, 'alert group shown');
      return { status: 200, body: { status: shown.outcome, ...about, channel: shown.channel } };
    });
  }

  /**
   * A rollback of a deployment moved, or a canary did (a step, a new weight, its abort): the
   * alert messages tied to that deployment show it.
   */
  function onEvent(event: EngineEvent): void {
    const tied = shownIn(event);
    if (!tied || !publisher) return;
    deps.store
      .listAlertGroups({ deploymentId: tied })
      .then((rows) => Promise.all(rows.map((row) => publisher.refresh(row.groupId, row.episode))))
      .catch((err: unknown) =>
        log.error({ err, deployment: tied }, 'could not show a deployment in its alert messages'),
      );
  }

  const route: Route = {
    method: 'POST',
    path: PATH,
    hook: 'alertmanager',
    async handler(req, res) {
      if (!deps.token) {
        sendNotConfigured(
          res,
          'Alertmanager webhooks are off: set SLIPWAY_ALERTMANAGER_TOKEN on Slipway and send it from the webhook receiver (http_config.authorization.credentials).',
        );
        return;
      }
      if (!sameSecret(bearerToken(req.headers.authorization) ?? '', deps.token)) {
        log.warn(
          { remote: req.socket.remoteAddress },
          'refused an Alertmanager request without the token',
        );
        res.setHeader('www-authenticate', 'Bearer');
        sendJson(res, 401, {
          error: 'unauthorized',
          message:
            'Send Authorization: Bearer <SLIPWAY_ALERTMANAGER_TOKEN> (http_config.authorization.credentials in the webhook receiver).',
        });
        return;
      }
      const raw = await readBody(req, options.maxBodyBytes ?? 4 * 1024 * 1024);
      const json = parseJson(raw.toString('utf8'));
      const parsed = Notification.safeParse(json);
      if (!parsed.success) {
        const problem = json === undefined ? 'the body is not JSON' : describeIssues(parsed.error);
        const message = `Not an Alertmanager webhook notification (version 4): ${problem}`;
        log.warn({ problem: message }, 'refused an Alertmanager notification');
        sendJson(res, 400, { error: 'invalid_payload', message });
        return;
      }
      const answer = await receive(parsed.data);
      sendJson(res, answer.status, answer.body);
    },
  };

  return {
    route,
    start() {
      unsubscribe ??= deps.engine.events.on(onEvent);
    },
    async stop(stopOptions = {}) {
      unsubscribe?.();
      unsubscribe = null;
      await publisher?.stop(stopOptions);
    },
  };
}

/**
 * The deployment whose alert messages an event changes: the one a rollback undoes, or a canary
 * that moved (its steps and weights are progress as well as transitions).
 */
function shownIn(event: EngineEvent): string | null {
  if (event.type !== 'transition' && event.type !== 'progress') return null;
  const d = event.deployment;
  if (d.kind === 'rollback')
    return event.type === 'transition' ? tiedDeployment(d.idempotencyKey) : null;
  return canaryTieOf(d) ? d.id : null;
}

/** `rollback-of:<id>` → `<id>`: the deployment a rollback undoes, when it came from a button or an alert. */
function tiedDeployment(key: string | null): string | null {
  const prefix = rollbackKey('');
  return key?.startsWith(prefix) ? key.slice(prefix.length) : null;
}
