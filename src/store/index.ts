import type { Logger } from 'pino';
import { ConfigError } from '../core/errors.js';
import { createPostgresStore } from './postgres/index.js';
import { createSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export type { Store } from './types.js';

export interface StoreOptions {
  log?: Logger;
  /** Clock for times the caller does not pass (tests). */
  now?: () => Date;
  /** Postgres pool size per process. */
  poolSize?: number;
}

export type DatabaseLocation =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; connectionString: string; schema: string | undefined };

/**
 * Opens the store for a database URL (see README.md): `sqlite:///abs/path.db`,
 * `sqlite:rel/path.db`, a plain file path or `:memory:` for SQLite; `postgres://…` or
 * `postgresql://…` (optionally `?schema=name`) for Postgres. Nothing is migrated here:
 * call `migrate()`.
 */
export function createStore(url: string, opts: StoreOptions = {}): Store {
  const location = parseDatabaseUrl(url);
  if (location.kind === 'sqlite') {
    return createSqliteStore({ path: location.path, log: opts.log, now: opts.now });
  }
  return createPostgresStore({ ...location, ...opts });
}

export function parseDatabaseUrl(url: string): DatabaseLocation {
  const text = url.trim();
  if (text === '') {
    throw new ConfigError(
      'SLIPWAY_DATABASE_URL is empty: set it to a file path, sqlite:///path/to/slipway.db or postgres://user@host/db',
    );
  }
  if (/^postgres(ql)?:\/\//i.test(text)) return parsePostgresUrl(text);
  if (/^sqlite:/i.test(text)) {
    // sqlite:///abs.db → /abs.db; sqlite://rel.db and sqlite:rel.db → rel.db
    const rest = decodeURIComponent(text.slice('sqlite:'.length));
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '')
      throw new ConfigError(`${url} names no file: write sqlite:///path/to/slipway.db`);
    return { kind: 'sqlite', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new ConfigError(
      `unsupported database URL scheme in ${redact(text)}: use a SQLite file path (sqlite:///path.db) or postgres://`,
    );
  }
  return { kind: 'sqlite', path: text };
}

function parsePostgresUrl(text: string): DatabaseLocation {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new ConfigError(
      `${redact(text)} is not a valid URL: write postgres://user:password@host:5432/database`,
    );
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  // pg would pass an unknown parameter on to the server, which rejects it.
  parsed.searchParams.delete('schema');
  return { kind: 'postgres', connectionString: parsed.toString(), schema };
}

/** Keeps passwords out of error messages and logs. */
function redact(text: string): string {
  return text.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
