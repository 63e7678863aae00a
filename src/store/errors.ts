import { SlipwayError } from '../core/errors.js';

/**
 * The database cannot be opened or reached. The message is one sentence a person can act on:
 * where (path, or URL without its password), what went wrong, and the fix. `retryable` says
 * whether waiting can help (a server still starting) or not (a wrong password, a bad file).
 */
export class DatabaseUnavailableError extends SlipwayError {
  override readonly code = 'database_unavailable';
  override readonly status = 503;
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message);
    if (options && 'cause' in options) this.cause = options.cause;
  }
}
