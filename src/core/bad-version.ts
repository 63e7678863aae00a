/**
 * A version taken off a target by a rollback, and so marked bad there: builds and alert
 * automation never deploy it to that service and environment again, and a person deploys it
 * only with `deploy!` and a reason, which clears the mark. One uncleared mark per version and
 * target at a time; cleared marks stay, for the audit trail.
 */
export interface BadVersion {
  id: string;
  service: string;
  environment: string;
  version: string;
  markedAt: Date;
  /** Who took it off: the person or identity that asked for the rollback, or `slipway`. */
  markedBy: string;
  /** Why, in words: the failure that rolled it back, or the reason given with the rollback. */
  reason: string;
  /** The deployment that took it off: the rollback, or the deploy that failed and went back. */
  deploymentId: string | null;
  clearedAt: Date | null;
  clearedBy: string | null;
  /** The reason given with the `deploy!` that cleared it. */
  clearedReason: string | null;
  /** The deployment that cleared it. */
  clearedDeploymentId: string | null;
}

/** What marks a version bad; the store fills the id and, unless given, the time. */
export interface NewBadVersion {
  service: string;
  environment: string;
  version: string;
  markedBy: string;
  reason: string;
  deploymentId: string | null;
  at?: Date;
}

/** What clears the uncleared mark of a version on a target. */
export interface BadVersionClearing {
  service: string;
  environment: string;
  version: string;
  by: string;
  reason: string | null;
  deploymentId: string | null;
  at?: Date;
}
