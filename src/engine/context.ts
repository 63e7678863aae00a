import type { Logger } from 'pino';
import type { PrometheusClient } from '../analysis/index.js';
import type { Config } from '../config/schema.js';
import type { DeployDriver } from '../drivers/types.js';
import type { Store } from '../store/types.js';
import type { EventBus } from './events.js';
import type { Surprise } from './surprises.js';
import type { Reservation } from './worker.js';

/** Everything the engine's parts share; built once in src/app.ts. */
export interface EngineDeps {
  config: Config;
  store: Store;
  drivers: ReadonlyMap<string, DeployDriver<unknown>>;
  events: EventBus;
  log: Logger;
  /** Identity of this process as a lease holder. */
  processId: string;
  /** The clock every recorded time comes from; tests pass their own. */
  now?: () => Date;
  /** The Prometheus an analysis asks, by its configured URL (null: PROMETHEUS_URL). */
  prometheus?: (url: string | null) => PrometheusClient;
  /**
   * A slot of this process's worker for a request about to be recorded, which the store may
   * then start in the same transaction (Worker.reserve). Set by the engine; without it every
   * request waits for a claim.
   */
  reserveStart?: () => Reservation | null;
}

/** The time now, by the engine's clock. */
export function clockOf(deps: { now?: () => Date }): Date {
  return deps.now?.() ?? new Date();
}

/** A refusal a person reads: `code` for machines, `reason` for people. */
export interface Refusal {
  ok: false;
  code: string;
  reason: string;
  suggestion?: string | null;
  /**
   * Set (code `unconfirmed`) when nothing was refused but the request is one its asker
   * probably did not mean, and they asked to be asked first (`askFirst`).
   */
  surprise?: Surprise;
}

export function refuse(code: string, reason: string, suggestion?: string | null): Refusal {
  return { ok: false, code, reason, suggestion: suggestion ?? null };
}
