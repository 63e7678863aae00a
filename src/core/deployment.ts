/**
 * The deployment record and its lifecycle (ARCHITECTURE.md, "Deployment lifecycle").
 *
 * requested ─► awaiting_approval ─► queued ─► running ─► verifying ─► succeeded
 *      │              │ rejected        │         │           │
 *      └──────────────┴─► cancelled     │         └─► failed ─┴─► rolling_back ─► rolled_back
 *                                       └─► superseded (a newer request for the same target)
 */
export const DEPLOYMENT_STATES = [
  'requested',
  'awaiting_approval',
  'queued',
  'running',
  'verifying',
  'succeeded',
  'failed',
  'rolling_back',
  'rolled_back',
  'cancelled',
  'superseded',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** States after which nothing more happens to a deployment. */
export const FINAL_STATES: readonly DeploymentState[] = [
  'succeeded',
  'failed',
  'rolled_back',
  'cancelled',
  'superseded',
];
/** States in which a deployment holds its target: the driver is (or may be) acting on it. */
export const ACTIVE_STATES: readonly DeploymentState[] = ['running', 'verifying', 'rolling_back'];

/** `deploy` installs a version; `rollback` re-installs an earlier one (same lifecycle). */
export type DeploymentKind = 'deploy' | 'rollback';
/** Where a request came from; `dashboard` is a person acting from its pages. */
export type RequestSource = 'chat' | 'cli' | 'api' | 'webhook' | 'dashboard';

/** The branch or tag a build came from (CI reports it); previews are named after it. */
export interface BuildRef {
  type: 'branch' | 'tag';
  name: string;
}

export interface Deployment {
  id: string;
  service: string;
  environment: string;
  version: string;
  /** The branch or tag the version was built from, when known. */
  ref: BuildRef | null;
  /** The version that was live on the target when this deployment started, if known. */
  previousVersion: string | null;
  kind: DeploymentKind;
  state: DeploymentState;
  requestedBy: string;
  source: RequestSource;
  /** Chat channel the request came from, if any. */
  channel: string | null;
  /** Free text given with the request (e.g. the reason for a freeze override). */
  reason: string | null;
  correlationId: string;
  idempotencyKey: string | null;
  /** A freeze window was overridden with `deploy!` for this deployment. */
  freezeOverride: boolean;
  approvalsRequired: number;
  /** Driver id used for this deployment (frozen at request time). */
  driver: string;
  /** Opaque handle the driver returned (run id, pid, revision…), JSON-serialisable. */
  driverRef: unknown;
  /** Last progress text from the driver ("ready 2 of 3"). */
  progress: string | null;
  /** Human sentence describing the outcome once final (or the latest problem). */
  outcome: string | null;
  /** Which process holds the deployment while it is active, and until when. */
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /**
   * W3C `traceparent` of the request that created the deployment, when tracing was on: the
   * run continues that trace wherever and whenever it happens (src/observability/tracing.ts).
   */
  traceParent?: string | null;
  /**
   * When the commit this version was built from was made, as CI reported it to `/hooks/build`
   * (`committedAt`); absent when it did not say. Lead time for changes starts here (src/dora).
   */
  committedAt?: Date | null;
  /**
   * The commit this version was built from, as CI reported it to `/hooks/build` (`commit`);
   * absent when it did not say. GitHub deployments are made for it (src/integrations).
   */
  commit?: string | null;
}

export interface Transition {
  deploymentId: string;
  seq: number;
  from: DeploymentState | null;
  to: DeploymentState;
  actor: string;
  at: Date;
  reason: string | null;
  correlationId: string;
}

export type ApprovalVerdict = 'approve' | 'reject';
export interface Approval {
  deploymentId: string;
  approver: string;
  verdict: ApprovalVerdict;
  comment: string | null;
  at: Date;
}

/** A lock on a whole environment (`service` null) or one service in it. */
export interface Lock {
  environment: string;
  service: string | null;
  owner: string;
  reason: string | null;
  createdAt: Date;
  expiresAt: Date | null;
}

export function isFinal(state: DeploymentState): boolean {
  return FINAL_STATES.includes(state);
}
