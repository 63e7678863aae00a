import { randomUUID } from 'node:crypto';
import type { NewDeployment, Store } from '../types.js';

/** A database the suite can open stores on; each call to `freshUrl` gives an empty one. */
export interface StoreSuiteTarget {
  /** Shown in test names: "sqlite file", "postgres". */
  name: string;
  freshUrl(): string | Promise<string>;
  /**
   * Whether several stores opened on one URL share the data, like several processes do.
   * False for ':memory:', where each connection has its own private database.
   */
  shared: boolean;
  /**
   * Empties a migrated database for the next test. When given, the suite migrates one database
   * up front and empties it before each test, instead of migrating a fresh one per test
   * (Postgres: creating a schema and migrating costs far more than a TRUNCATE).
   */
  reset?(url: string): Promise<void>;
}

export interface SuiteContext {
  target: StoreSuiteTarget;
  /** The store under test: on a fresh database, migrated, closed after the test. */
  store(): Store;
  /**
   * `n` stores on the current database, standing in for `n` processes: separate connections
   * (or pools) when the target is shared, else the one store `n` times.
   */
  peers(n: number): Promise<Store[]>;
  /** A store on another fresh database, not migrated. */
  openFresh(): Promise<{ url: string; store: Store }>;
  /** Another store on `url` (closed after the test). */
  open(url: string): Store;
}

export function newDeployment(overrides: Partial<NewDeployment> = {}): NewDeployment {
  return {
    id: `dep-${randomUUID()}`,
    service: 'web',
    environment: 'staging',
    version: '1.0.0',
    previousVersion: null,
    ref: null,
    kind: 'deploy',
    requestedBy: 'U-DEV1',
    source: 'chat',
    channel: 'C-DEPLOYS',
    reason: null,
    correlationId: `corr-${randomUUID()}`,
    idempotencyKey: null,
    freezeOverride: false,
    approvalsRequired: 0,
    driver: 'command',
    ...overrides,
  };
}

/** Times with a millisecond part, so a store that drops milliseconds fails the tests. */
export function timeline(start = Date.now()): (offsetMs: number) => Date {
  const base = Math.floor(start / 1000) * 1000 + 123;
  return (offsetMs) => new Date(base + offsetMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates `count` queued deployments on one target, `stepMs` apart from `at(0)`. */
export async function queue(
  store: Store,
  at: (offsetMs: number) => Date,
  target: { service: string; environment: string },
  count: number,
  stepMs = 10,
  startMs = 0,
) {
  const created = [];
  for (let i = 0; i < count; i++) {
    const { deployment } = await store.createDeployment(newDeployment(target), 'queued', {
      actor: 'U-DEV1',
      at: at(startMs + i * stepMs),
    });
    created.push(deployment);
  }
  return created;
}
