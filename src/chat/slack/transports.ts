import type { Logger } from 'pino';
import type { SlackSettings } from '../../core/settings.js';
import type { Route } from '../../http/router.js';
import type { Admission } from '../inbound.js';
import { slackEventsRoute, slackEventsUnconfigured } from './receiver.js';
import { createSlackSocket, type SlackSocket } from './socket.js';

export interface SlackTransports {
  /** `POST /slack/events`, always: configured, or saying what to set. */
  route: Route;
  /** Socket Mode, when SLACK_APP_TOKEN is set; connects at `start()`. */
  socket: SlackSocket | null;
}

/**
 * The ways Slack reaches this Slipway, as the settings ask: Socket Mode with an app token,
 * signed HTTP with a signing secret, or both. Either hands what it verified to `admission`.
 */
export function slackTransports(
  slack: SlackSettings | null,
  admission: Admission | null,
  log: Logger,
): SlackTransports {
  const socket =
    slack?.appToken && admission
      ? createSlackSocket({ appToken: slack.appToken, apiUrl: slack.apiUrl, admission, log })
      : null;
  // Without a signing secret it answers 503 saying which to set, not 404.
  const route =
    slack?.signingSecret && admission
      ? slackEventsRoute({ signingSecret: slack.signingSecret, admission, log })
      : slackEventsUnconfigured({ socket: Boolean(slack?.appToken) });
  return { route, socket };
}
