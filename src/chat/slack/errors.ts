import {
  ErrorCode,
  type WebAPIHTTPError,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
} from '@slack/web-api';
import {
  ForbiddenError,
  NotFoundError,
  RetryableError,
  SlipwayError,
  UnauthorizedError,
  ValidationError,
  withCause,
} from '../../core/errors.js';

/**
 * Slack's failures as the project's coded errors (core/errors.ts): 429, 5xx, timeouts and
 * Slack's own "try again" errors become RetryableError; the rest say what to fix.
 * Error codes: docs.slack.dev/reference/methods/chat.postMessage#errors and siblings.
 */
const RETRYABLE = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);
const NOT_FOUND = new Set([
  'channel_not_found',
  'message_not_found',
  'user_not_found',
  'thread_not_found',
]);
const UNAUTHORIZED = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
]);
const FORBIDDEN = new Set([
  'not_in_channel',
  'is_archived',
  'missing_scope',
  'restricted_action',
  'cant_update_message',
  'edit_window_closed',
  'not_allowed_token_type',
]);

const HINTS: Record<string, string> = {
  not_in_channel: 'invite the Slipway app to the channel (/invite @slipway)',
  channel_not_found:
    'check the channel id in slipway.yaml and that the Slipway app is in the channel',
  invalid_auth:
    "check SLACK_BOT_TOKEN: copy the Bot User OAuth Token from the Slack app's OAuth & Permissions page",
  not_authed: 'set SLACK_BOT_TOKEN',
  missing_scope:
    'add the missing scope to the Slack app (slipway slack manifest lists them) and reinstall it',
  invalid_blocks: 'this is a bug in Slipway’s message rendering; please report it with the log',
};

export function toChatError(method: string, err: unknown): SlipwayError {
  if (err instanceof SlipwayError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === ErrorCode.PlatformError) return platformError(method, err as WebAPIPlatformError);
  if (code === ErrorCode.RateLimitedError) {
    const seconds = (err as WebAPIRateLimitedError).retryAfter;
    return withCause(
      new RetryableError(`Slack rate-limited ${method}; retry in ${seconds}s`, seconds * 1000),
      err,
    );
  }
  if (code === ErrorCode.HTTPError) {
    const status = (err as WebAPIHTTPError).statusCode;
    const message = `Slack answered ${method} with HTTP ${status}`;
    if (status === 429 || status >= 500)
      return withCause(new RetryableError(`${message}; it will be retried`), err);
    return withCause(new SlipwayError(message, { status }), err);
  }
  // The Web API client gives up on a rate limit it waited out with an Error naming the wait,
  // wrapped as a request error: Slack refused the call, so it did nothing.
  const text = err instanceof Error ? err.message : String(err);
  const limited = /rate limit was exceeded.*retry-after: (\d+)/i.exec(text);
  if (limited) {
    const seconds = Number(limited[1]);
    return withCause(
      new RetryableError(`Slack rate-limited ${method}; retry in ${seconds}s`, seconds * 1000),
      err,
    );
  }
  if (code === ErrorCode.RequestError) {
    return withCause(
      new RetryableError(`Slack could not be reached for ${method} (network error or timeout)`),
      err,
    );
  }
  return withCause(new SlipwayError(`Slack call ${method} failed: ${text}`), err);
}

function platformError(method: string, err: WebAPIPlatformError): SlipwayError {
  const code = err.data.error;
  const hint = HINTS[code];
  const message = `Slack refused ${method}: ${code}${hint ? `; ${hint}` : ''}`;
  const details = { slackError: code };
  if (RETRYABLE.has(code)) return withCause(new RetryableError(message, undefined, details), err);
  if (NOT_FOUND.has(code)) return withCause(new NotFoundError(message, details), err);
  if (UNAUTHORIZED.has(code)) return withCause(new UnauthorizedError(message, details), err);
  if (FORBIDDEN.has(code)) return withCause(new ForbiddenError(message, details), err);
  return withCause(new ValidationError(message, details), err);
}
