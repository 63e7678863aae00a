import { redactUrl } from '../../core/logger.js';
import { DatabaseUnavailableError } from '../errors.js';

/**
 * Failures that waiting can cure: the server is down, still starting, or its name does not
 * resolve yet (a database started alongside Slipway, e.g. in the same compose file or pod).
 */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // cannot_connect_now: "the database system is starting up" (postgresql.org/docs/current/errcodes-appendix.html)
  '57P03',
]);

/** Postgres error codes that a person must fix: retrying cannot help. */
const REFUSED: Record<string, string> = {
  // invalid_password
  '28P01': 'fix the user or password in SLIPWAY_DATABASE_URL',
  // invalid_authorization_specification: unknown role, or no pg_hba.conf entry
  '28000': "fix the user in SLIPWAY_DATABASE_URL, or allow it in the server's pg_hba.conf",
  // invalid_catalog_name
  '3D000': 'create the database (createdb) or fix its name in SLIPWAY_DATABASE_URL',
};

/**
 * Why the Postgres server named by `connectionString` could not be used, as one sentence with
 * the URL (password hidden) and the fix; null when `err` is not a connection failure.
 */
export function explainPostgresError(
  err: unknown,
  connectionString: string,
): DatabaseUnavailableError | null {
  const url = redactUrl(connectionString);
  const { code, message } = err as { code?: unknown; message?: unknown };
  const why = typeof message === 'string' && message !== '' ? message : String(code ?? err);
  if (typeof code === 'string' && code in REFUSED) {
    return new DatabaseUnavailableError(
      `Postgres at ${url} refused the connection (${why}): ${REFUSED[code]}; not retried, since waiting cannot fix it.`,
      false,
      { cause: err },
    );
  }
  if ((typeof code === 'string' && UNREACHABLE.has(code)) || isDroppedConnection(why)) {
    return new DatabaseUnavailableError(
      `Postgres at ${url} is not reachable (${why}): start it, or fix the host and port in SLIPWAY_DATABASE_URL.`,
      true,
      { cause: err },
    );
  }
  return null;
}

/** pg reports a connection closed during the handshake by message only, without a code. */
function isDroppedConnection(message: string): boolean {
  return /Connection terminated|timeout expired/i.test(message);
}
