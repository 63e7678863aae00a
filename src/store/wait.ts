import type { Logger } from 'pino';
import { formatDuration } from '../core/duration.js';
import { sleep as realSleep } from '../core/sleep.js';
import { DatabaseUnavailableError } from './errors.js';
import type { Store } from './types.js';

/** SLIPWAY_DB_WAIT's default: long enough for a Postgres started alongside Slipway to come up. */
export const DEFAULT_DB_WAIT_MS = 60_000;

export interface WaitOptions {
  /** How long to keep trying a database that is not reachable yet. */
  waitMs: number;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Pings until the database answers. A server that is not reachable yet is tried again, with a
 * log line per attempt, until `waitMs` has passed; a failure that waiting cannot fix (a wrong
 * password, an unknown database, a damaged file) is thrown at once.
 */
export async function waitForDatabase(store: Store, options: WaitOptions): Promise<void> {
  const { waitMs, sleep = realSleep, now = Date.now } = options;
  const deadline = now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await store.ping();
      if (attempt > 1) options.log?.info({ attempt }, 'database reachable');
      return;
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError) || !err.retryable) throw err;
      const left = deadline - now();
      if (left <= 0) throw gaveUp(err, waitMs);
      const retryInMs = Math.min(backoffMs(attempt), left);
      options.log?.warn(
        { attempt, retryInMs, reason: err.message },
        'database not reachable yet: trying again',
      );
      await sleep(retryInMs);
    }
  }
}

/** 0.5 s, 1 s, 2 s, then every 5 s: quick while a server starts, quiet after. */
function backoffMs(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 5_000);
}

function gaveUp(err: DatabaseUnavailableError, waitMs: number): DatabaseUnavailableError {
  const message = err.message.replace(
    /\.$/,
    `, or give it longer to come up with SLIPWAY_DB_WAIT (waited ${formatDuration(waitMs)}).`,
  );
  return new DatabaseUnavailableError(message, true, { cause: err.cause });
}
