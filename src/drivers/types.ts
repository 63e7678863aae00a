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
      /**
       * What people should know about the target after this work, shown on the deployment's
       * card: "auto-sync is off: Argo CD keeps the rollback until the next good deployment".
       */
      note?: string;
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
  /** `canary` works: the driver can run a version beside the live one and split traffic. */
  canary?: boolean;
}

/** Where a canary stands, read from the target itself (so a replica taking over can resume). */
export interface CanaryState {
  /** A canary of the service exists on the target. */
  running: boolean;
  /** Its version; null when none runs or its image is not the service's. */
  version: string | null;
  /** Percent (0–100) of the traffic the router sends to it now. */
  weight: number;
  /** Its pods are all up to date and ready. */
  ready: boolean;
  /** The Slipway deployment that started it, when it says. */
  deploymentId: string | null;
  /** For people: what runs and how traffic is split ("web-canary 1.2.0: 25% by HTTPRoute web"). */
  detail: string;
}

/**
 * Canary releases, on a driver that can split traffic (`capabilities().canary`). Each call reads
 * the target before it writes and may be repeated: an engine that takes over repeats its step.
 */
export interface CanaryControl<Options> {
  /**
   * Runs `deployment.version` beside the live version with no traffic (a canary already running
   * that version keeps its share); settles once it is ready.
   */
  start(ctx: DriverContext<Options>): Promise<DriverOutcome>;
  /** Sends `weight` percent (0–100) of the traffic to the canary; settles once that holds. */
  setWeight(ctx: DriverContext<Options>, weight: number): Promise<CanaryState>;
  /** The live target takes the canary's version (followed to the end), then the canary goes. */
  promote(ctx: DriverContext<Options>): Promise<DriverOutcome>;
  /** Takes every request from the canary, then removes it; the live target is not touched. */
  abort(ctx: DriverContext<Options>): Promise<void>;
  state(ctx: DriverContext<Options>): Promise<CanaryState>;
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
  /** Canary releases; works when `capabilities(options).canary` says so. */
  canary?: CanaryControl<Options>;
  /** Removes what outlived its time to live (expired previews); returns what it removed. */
  expire?(ctx: SweepContext<Options>): Promise<string[]>;
  /**
   * The output the work behind `handle` wrote, as this driver keeps it (`slipway logs`); null
   * when it has none for that handle. Absent: the driver keeps no output of its own, and its
   * `link` (the CI run, the GitOps application) is where to read it.
   */
  logs?(ctx: DriverContext<Options>, handle: DriverHandle): Promise<DriverOutput | null>;
  /** Lets go of what the driver keeps open between deployments (watches); called at shutdown. */
  close?(): Promise<void>;
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
