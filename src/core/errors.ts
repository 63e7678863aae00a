/**
 * A small set of coded errors. Each says what happened and what to do next; `status` is the
 * HTTP status the boundary answers with. Errors from outside that are worth retrying (429, 5xx,
 * timeouts) become `RetryableError`.
 */
export class SlipwayError extends Error {
  readonly code: string = 'internal';
  readonly status: number = 500;
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ConfigError extends SlipwayError {
  override readonly code = 'config_invalid';
}
export class ValidationError extends SlipwayError {
  override readonly code = 'invalid_input';
  override readonly status = 400;
}
export class NotFoundError extends SlipwayError {
  override readonly code = 'not_found';
  override readonly status = 404;
}
export class ForbiddenError extends SlipwayError {
  override readonly code = 'forbidden';
  override readonly status = 403;
}
export class ConflictError extends SlipwayError {
  override readonly code = 'conflict';
  override readonly status = 409;
}
export class UnauthorizedError extends SlipwayError {
  override readonly code = 'unauthorized';
  override readonly status = 401;
}
export class PayloadTooLargeError extends SlipwayError {
  override readonly code = 'too_large';
  override readonly status = 413;
}
/** The process is stopping and gave up on the call (its time for the last chat updates ran out). */
export class ShutdownError extends SlipwayError {
  override readonly code = 'shutting_down';
  override readonly status = 503;
}
/** A request taken back before it was recorded (its chat acknowledgement said "busy"). */
export class WithdrawnError extends SlipwayError {
  override readonly code = 'withdrawn';
  override readonly status = 503;
}
export class RetryableError extends SlipwayError {
  override readonly code = 'retryable';
  override readonly status = 503;
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
  }
}

/**
 * A chat post given up after a call whose outcome was never known (a timeout, a 5xx): the message
 * may exist, posted since `since`, and whoever tries again looks for it before posting.
 */
export class PostOutcomeUnknownError extends RetryableError {
  constructor(
    message: string,
    readonly since: Date,
    retryAfterMs?: number,
  ) {
    super(message, retryAfterMs);
  }
}

/** Wraps anything thrown into a SlipwayError at a boundary, keeping the original as `cause`. */
export function toSlipwayError(err: unknown): SlipwayError {
  if (err instanceof SlipwayError) return err;
  return withCause(new SlipwayError(err instanceof Error ? err.message : String(err)), err);
}

/** `error`, keeping what it explains (a platform's or library's failure) as its `cause` for the log. */
export function withCause<E extends Error>(error: E, cause: unknown): E {
  error.cause = cause;
  return error;
}
