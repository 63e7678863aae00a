import {
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  RetryableError,
  SlipwayError,
  UnauthorizedError,
  ValidationError,
  withCause,
} from '../../core/errors.js';
import { retryAfterMs } from '../../core/retry-after.js';

/**
 * The Bot Connector's failures as the project's coded errors (core/errors.ts): 429, 5xx, timeouts
 * and network errors become RetryableError; the rest say what to fix. The Teams SDK's HTTP client
 * throws axios errors: they are read by shape, not imported.
 * Error codes: learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference#error
 * and learn.microsoft.com/microsoftteams/platform/bots/build-conversational-capability#status-codes-from-bot-conversational-apis.
 */
interface HttpFailure {
  isAxiosError?: boolean;
  code?: string;
  message?: string;
  response?: { status: number; headers?: Record<string, unknown>; data?: unknown };
}

const HINTS: Record<string, string> = {
  ConversationNotFound:
    'the conversation is gone or the bot was removed from it: add the Slipway app to the team or chat again',
  ActivityNotFoundInConversation: 'the message was deleted',
  BotNotInConversationRoster:
    'the Slipway app is not installed where it posts: add it to the team, chat or the person’s personal scope',
  MessageSizeTooBig: 'this is a bug in Slipway’s card rendering; please report it with the log',
};

export function toTeamsError(operation: string, err: unknown): SlipwayError {
  if (err instanceof SlipwayError) return err;
  const failure = (err ?? {}) as HttpFailure;
  const status = failure.response?.status;
  if (status === undefined) {
    // No answer at all: a timeout, a refused or reset connection. Nothing says it was applied.
    const what =
      failure.code === 'ECONNABORTED' || failure.code === 'ETIMEDOUT'
        ? 'timed out'
        : 'could not be reached';
    return withCause(
      new RetryableError(
        `The Bot Connector ${what} for ${operation} (${failure.code ?? failure.message ?? 'network error'})`,
      ),
      err,
    );
  }
  const code = connectorCode(failure.response?.data);
  const hint = code ? HINTS[code] : undefined;
  const message = `The Bot Connector answered ${operation} with HTTP ${status}${code ? ` ${code}` : ''}${hint ? `: ${hint}` : ''}`;
  const details = { status, ...(code ? { teamsError: code } : {}) };
  // Teams asks bots to retry 412, 429, 502, 503 and 504 with backoff
  // (learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/conversation-messages,
  // "Status codes retry guidance"); other 5xx are retried too, a bounded number of times.
  if (status === 412 || status === 429 || status >= 500) {
    return withCause(
      new RetryableError(
        `${message}; it will be retried`,
        retryAfterOf(failure.response?.headers),
        details,
      ),
      err,
    );
  }
  if (status === 401) {
    return withCause(
      new UnauthorizedError(
        `${message}: check TEAMS_APP_ID, TEAMS_APP_PASSWORD (or the certificate) and TEAMS_TENANT_ID`,
        details,
      ),
      err,
    );
  }
  if (status === 403) return withCause(new ForbiddenError(message, details), err);
  if (status === 404) return withCause(new NotFoundError(message, details), err);
  if (status === 413) return withCause(new PayloadTooLargeError(message, details), err);
  if (status >= 400 && status < 500) return withCause(new ValidationError(message, details), err);
  return withCause(new SlipwayError(message, details), err);
}

/** The Retry-After of a response's headers, as a wait in milliseconds. */
export function retryAfterOf(
  headers: Record<string, unknown> | undefined,
  now = Date.now(),
): number | undefined {
  return retryAfterMs(headers?.['retry-after'] ?? headers?.['Retry-After'], now);
}

/** `{error: {code, message}}`, as the Bot Connector and the Playground answer. */
function connectorCode(data: unknown): string | undefined {
  const error = (data as { error?: { code?: unknown } } | null)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}
