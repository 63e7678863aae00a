import type { Logger } from 'pino';
import type { Store } from '../store/types.js';

export interface ReadinessOptions {
  store: Store;
  log: Logger;
  /** How long one look at the store answers /readyz; probes come every few seconds per balancer. */
  cacheMs?: number;
  now?: () => number;
}

export interface StoreReadiness {
  ready: boolean;
  checks: { store: string; migrations?: string };
}

/**
 * Whether the store can serve: reachable, writable (a server that can read but not write
 * acknowledges commands it cannot record), migrated. The answer names no host, URL or
 * credential, since /readyz answers anyone: the cause goes to the log.
 */
export function createReadiness(options: ReadinessOptions) {
  const cacheMs = options.cacheMs ?? 1_000;
  const now = options.now ?? Date.now;
  let last: { at: number; answer: Promise<StoreReadiness> } | null = null;

  async function look(): Promise<StoreReadiness> {
    const { store, log } = options;
    try {
      await store.ping();
    } catch (err) {
      log.warn({ error: messageOf(err) }, 'readiness: the database is unreachable');
      return { ready: false, checks: { store: 'unreachable: see the server log for why' } };
    }
    // Before the write probe, which needs the tables the migrations create.
    const pending = await store.pendingMigrations();
    if (pending.length > 0) {
      return {
        ready: false,
        checks: {
          store: 'ok',
          migrations: `pending: ${pending.join(', ')} (run slipway db migrate)`,
        },
      };
    }
    try {
      await store.probeWrite();
    } catch (err) {
      log.warn({ error: messageOf(err) }, 'readiness: the database does not take writes');
      return {
        ready: false,
        checks: {
          store: 'read-only: Slipway cannot write to its database; see the server log',
          migrations: 'ok',
        },
      };
    }
    return { ready: true, checks: { store: 'ok', migrations: 'ok' } };
  }

  return {
    check(): Promise<StoreReadiness> {
      const at = now();
      if (!last || at - last.at >= cacheMs) {
        last = {
          at,
          answer: look().catch((err: unknown) => {
            options.log.warn({ error: messageOf(err) }, 'readiness: the store check failed');
            return { ready: false, checks: { store: 'unavailable: see the server log for why' } };
          }),
        };
      }
      return last.answer;
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
