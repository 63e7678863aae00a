import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Deployment } from '../core/deployment.js';

/** Which half of a deployment the driver is asked to do. */
export type DriverPhase = 'deploy' | 'rollback';

export interface DriverContext<Options> {
  /** The deployment being acted on (read-only snapshot). */
  deployment: Readonly<Deployment>;
  /** The service's image repository from config, if any (`registry/web`). */
  image: string | null;
  /** Options for this service/environment, already validated by `optionsSchema`. */
  options: Options;
  log: Logger;
  /** Aborted when Slipway shuts down or the deployment is cancelled. */
  signal: AbortSignal;
  /** Reports progress for the chat message ("ready 2 of 3"). Cheap; call freely. */
  progress(text: string): void;
}

/**
 * Opaque, JSON-serialisable handle to work a driver started. The engine stores it before it
 * waits, so another process (or this one after a restart) can call `watch` with it.
 */
export type DriverHandle = Record<string, unknown>;

export type DriverOutcome =
  | {
      ok: true;
      summary: string;
      /** Where the deployed version can be tried (a preview): offered to its reviewers. */
      url?: string;
      /** A page about the work itself (the CI run, the GitOps application): linked in chat. */
      link?: DriverLink;
    }
  | {
      ok: false;
      reason: string /** Worth rolling back: the target may be half changed. */;
      changed: boolean;
    };

export interface DriverLink {
  label: string;
  url: string;
}

/** What is live on the target, as far as the driver can tell. */
export interface TargetStatus {
  version: string | null;
  healthy: boolean;
  detail: string;
}

/** What a driver can do for one service/environment, given its options. */
export interface DriverCapabilities {
  /** `status` works: the engine verifies health after a deploy, and reconciles with it. */
  status: boolean;
  /** `rollback` works without a named version (the driver knows the previous revision). */
  rollbackToPrevious: boolean;
}

/**
 * The deploy driver port (ARCHITECTURE.md: deploy, status/watch, rollback, optional preview,
 * teardown, canary). Starting is idempotent per (deployment id, phase): a second call after a
 * crash attaches to the first run instead of starting another.
 */
export interface DeployDriver<Options = unknown> {
  readonly id: string;
  readonly optionsSchema: z.ZodType<Options>;
  /** Starts installing `deployment.version`. */
  deploy(ctx: DriverContext<Options>): Promise<DriverHandle>;
  /** Waits for the work behind `handle` to finish; safe to call again after a restart. */
  watch(ctx: DriverContext<Options>, handle: DriverHandle): Promise<DriverOutcome>;
  /** Reads what is live on the target; used to verify and to reconcile after a crash. */
  status?(ctx: DriverContext<Options>): Promise<TargetStatus>;
  /** Starts returning the target to `toVersion` (or the driver's own previous revision). */
  rollback?(ctx: DriverContext<Options>, toVersion: string | null): Promise<DriverHandle>;
  /**
   * What works with these options. Absent: `status` works whenever the driver has it, and
   * `rollbackToPrevious` whenever it has `rollback`.
   */
  capabilities?(options: Options): DriverCapabilities;
  /** Stops work in progress, best effort. */
  cancel?(ctx: DriverContext<Options>, handle: DriverHandle): Promise<void>;
  /**
   * Removes what `deployment` left on its environment when that is the driver's to remove (a
   * preview of the deployment's build), once its review is closed. Idempotent.
   */
  teardown?(ctx: DriverContext<Options>): Promise<void>;
  /** Removes what outlived its time to live (expired previews); returns what it removed. */
  expire?(ctx: SweepContext<Options>): Promise<string[]>;
  /**
   * The output the work behind `handle` wrote, as this driver keeps it (`slipway logs`); null
   * when it has none for that handle. Absent: the driver keeps no output of its own, and its
   * `link` (the CI run, the GitOps application) is where to read it.
   */
  logs?(ctx: DriverContext<Options>, handle: DriverHandle): Promise<DriverOutput | null>;
}

/** What a run printed, for a person reading it after (or while) it ran. */
export interface DriverOutput {
  text: string;
  /** The work is still going: more may come. */
  running: boolean;
  /** Where the driver keeps it, to read or keep it without Slipway. */
  location: string;
}

/** A driver's view of one service/environment, outside any deployment (periodic upkeep). */
export interface SweepContext<Options> {
  service: string;
  environment: string;
  options: Options;
  log: Logger;
  signal: AbortSignal;
}

/** Builds a driver from process-wide settings (where runs are kept, credentials from env). */
export interface DriverFactoryContext {
  /** Directory for driver state that must survive restarts (`.slipway/` by default). */
  dataDir: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
}
export type DriverFactory = (ctx: DriverFactoryContext) => DeployDriver<unknown>;
