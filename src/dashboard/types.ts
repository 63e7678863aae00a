import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { DeployDriver } from '../drivers/types.js';
import type { Engine } from '../engine/index.js';
import type { Store } from '../store/types.js';
import type { DashboardAuth } from './auth/index.js';

/** What every dashboard page is built from; one per app (`dashboardRoutes`). */
export interface DashboardDeps {
  auth: DashboardAuth;
  engine: Engine;
  store: Store;
  config: Config;
  drivers: ReadonlyMap<string, DeployDriver<unknown>>;
  /**
   * A link to a message Slipway posted in chat, when the platform can give one (a Slack
   * permalink); null when it cannot, or no chat is configured.
   */
  messageLink: (channel: string, ts: string) => Promise<string | null>;
  /** Where the deployment's trace can be read: `{traceId}` is replaced. Unset: no link. */
  traceUrl: string | null;
  log: Logger;
  /** The clock pages say "since" and "ago" by; tests move it. */
  now: () => Date;
}

/** The part of the dashboard a page is in: its navigation entry. */
export type Section = 'overview' | 'inbox' | 'history' | 'dora';
