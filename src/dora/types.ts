import type { DeploymentKind, DeploymentState } from '../core/deployment.js';

/**
 * The plain records the DORA metrics are computed from (compute.ts), as the store query
 * (query.ts) reads them: one per deployment of a production-like target that overlaps the
 * window, and one per alert group episode tied to one of them.
 */
export interface DoraDeployment {
  id: string;
  service: string;
  environment: string;
  version: string;
  kind: DeploymentKind;
  /** The state as stored now; only read for deployments that finished before the window's end. */
  state: DeploymentState;
  requestedAt: Date;
  /** When a worker took it: null when it never touched the target (cancelled, superseded). */
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Its first transition to `failed` or `rolling_back`, for one that ended failed or rolled back. */
  failedAt: Date | null;
  /** The earliest commit time CI reported for this service and version (`committedAt`). */
  committedAt: Date | null;
  /** When the build hook first reported this service and version (its first deployment). */
  reportedAt: Date | null;
  /** This version went live on this target before: a redeploy, not a new change. */
  liveBefore: boolean;
}

/** An Alertmanager alert group episode, tied by the webhook to the deployment it followed. */
export interface DoraAlert {
  deploymentId: string;
  /** When its first alert started firing. */
  firedAt: Date;
  /** When its last alert ended, once every alert of the episode is resolved; else null. */
  resolvedAt: Date | null;
}

export interface DoraRecords {
  deployments: DoraDeployment[];
  alerts: DoraAlert[];
}

/** A service in an environment. */
export interface DoraTarget {
  service: string;
  environment: string;
}

/** `[since, until)`: deployments that finished at or after `since` and before `until`. */
export interface DoraWindow {
  since: Date;
  until: Date;
}

/** Which records to read: those of `targets` that matter to `window` (src/dora/query.ts). */
export interface DoraQuery {
  targets: readonly DoraTarget[];
  window: DoraWindow;
}

export interface DoraInput extends DoraRecords {
  window: DoraWindow;
  /** Every target reported, with zeros when nothing happened there. */
  targets: DoraTarget[];
}

/** What made a change a failure; one change may have several, and counts once. */
export type FailureCause = 'failed' | 'rollback' | 'alert';

export interface DoraFailure {
  deploymentId: string;
  version: string;
  causes: FailureCause[];
  /** The first sign of failure: the deployment failing, a rollback asked for, an alert firing. */
  at: Date;
  /** The next good deployment, its own rollback or an alert resolved, whichever came first. */
  restoredAt: Date | null;
}

export interface LeadTime {
  /** Changes whose lead time was measured, from the commit or from the build report. */
  samples: number;
  fromCommit: number;
  fromBuild: number;
  /** Changes that went live without a known start (never reported by a build). */
  unmeasured: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface TimeToRestore {
  samples: number;
  /** Failures not yet restored at the window's end. */
  unrestored: number;
  medianSeconds: number | null;
}

/** The four metrics over a span of time (the window, or one week of it). */
export interface DoraFigures {
  /** The span's length in days (a week cut by the window is shorter than 7). */
  days: number;
  /** Successful deploys: deployment frequency. */
  deployments: number;
  deploymentsPerWeek: number;
  deploymentsPerDay: number;
  leadTime: LeadTime;
  /** Deploys that ran on the target and ended: the denominator of the change failure rate. */
  changes: number;
  failedChanges: number;
  /** failedChanges / changes; null without changes. */
  changeFailureRate: number | null;
  timeToRestore: TimeToRestore;
}

export interface DoraWeek extends DoraFigures {
  /** ISO 8601 week, in UTC: `2025-W14`. */
  week: string;
  /** The part of the week inside the window. */
  start: Date;
  end: Date;
}

export interface DoraTargetReport extends DoraTarget {
  total: DoraFigures;
  /** Every ISO week the window touches, in order, including weeks without deployments. */
  weeks: DoraWeek[];
  failures: DoraFailure[];
}

export interface DoraReport {
  since: Date;
  until: Date;
  targets: DoraTargetReport[];
}
