import type {
  Approval,
  ApprovalVerdict,
  BuildRef,
  Deployment,
  DeploymentKind,
  DeploymentState,
  Lock,
  RequestSource,
  Transition,
} from '../core/deployment.js';
import {
  alertSubject,
  deploymentSubject,
  digestOfKey,
  type MessageSubject,
} from '../core/message-subject.js';
import type {
  AlertGroupsTable,
  ApprovalsTable,
  DeploymentsTable,
  LocksTable,
  PostedMessagesTable,
  RefusalsTable,
  ReviewDecisionsTable,
  TransitionsTable,
} from './tables.js';
import type {
  AlertGroupRecord,
  DeploymentPatch,
  NewDeployment,
  PostedMessageRecord,
  RefusalRecord,
  ReviewDecision,
} from './types.js';

/** Postgres may hand BIGINT back as text; SQLite as a number. Both become a Date. */
export function toDate(value: number | string): Date {
  return new Date(Number(value));
}

export function toDateOrNull(value: number | string | null): Date | null {
  return value === null ? null : toDate(value);
}

export function toMillisOrNull(value: Date | null): number | null {
  return value === null ? null : value.getTime();
}

function encodeJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function toDeployment(row: DeploymentsTable): Deployment {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    version: row.version,
    previousVersion: row.previous_version,
    ref:
      row.ref_type && row.ref_name
        ? { type: row.ref_type as BuildRef['type'], name: row.ref_name }
        : null,
    kind: row.kind as DeploymentKind,
    state: row.state as DeploymentState,
    requestedBy: row.requested_by,
    source: row.source as RequestSource,
    channel: row.channel,
    reason: row.reason,
    correlationId: row.correlation_id,
    idempotencyKey: row.idempotency_key,
    freezeOverride: Number(row.freeze_override) === 1,
    approvalsRequired: Number(row.approvals_required),
    driver: row.driver,
    driverRef: row.driver_ref === null ? null : JSON.parse(row.driver_ref),
    progress: row.progress,
    outcome: row.outcome,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: toDateOrNull(row.lease_expires_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    startedAt: toDateOrNull(row.started_at),
    finishedAt: toDateOrNull(row.finished_at),
    traceParent: row.trace_parent ?? null,
    // Absent rather than null when unknown: most deployments never have one.
    ...(row.committed_at === null ? {} : { committedAt: toDate(row.committed_at) }),
    ...(row.commit_sha === null ? {} : { commit: row.commit_sha }),
  };
}

export function newDeploymentRow(
  d: NewDeployment,
  state: DeploymentState,
  at: Date,
): DeploymentsTable {
  return {
    id: d.id,
    service: d.service,
    environment: d.environment,
    version: d.version,
    previous_version: d.previousVersion,
    ref_type: d.ref?.type ?? null,
    ref_name: d.ref?.name ?? null,
    kind: d.kind,
    state,
    requested_by: d.requestedBy,
    source: d.source,
    channel: d.channel,
    reason: d.reason,
    correlation_id: d.correlationId,
    idempotency_key: d.idempotencyKey,
    freeze_override: d.freezeOverride ? 1 : 0,
    approvals_required: d.approvalsRequired,
    driver: d.driver,
    driver_ref: null,
    progress: null,
    outcome: null,
    lease_owner: null,
    lease_expires_at: null,
    created_at: at.getTime(),
    updated_at: at.getTime(),
    started_at: null,
    finished_at: null,
    trace_parent: d.traceParent ?? null,
    committed_at: d.committedAt ? d.committedAt.getTime() : null,
    commit_sha: d.commit ?? null,
  };
}

/** Only the keys present in `patch` become columns: an absent key leaves the column alone. */
export function patchColumns(patch: DeploymentPatch): Partial<DeploymentsTable> {
  const columns: Partial<DeploymentsTable> = {};
  if (patch.driverRef !== undefined) columns.driver_ref = encodeJson(patch.driverRef);
  if (patch.progress !== undefined) columns.progress = patch.progress;
  if (patch.outcome !== undefined) columns.outcome = patch.outcome;
  if (patch.previousVersion !== undefined) columns.previous_version = patch.previousVersion;
  if (patch.leaseOwner !== undefined) columns.lease_owner = patch.leaseOwner;
  if (patch.leaseExpiresAt !== undefined) {
    columns.lease_expires_at = toMillisOrNull(patch.leaseExpiresAt);
  }
  if (patch.startedAt !== undefined) columns.started_at = toMillisOrNull(patch.startedAt);
  if (patch.finishedAt !== undefined) columns.finished_at = toMillisOrNull(patch.finishedAt);
  return columns;
}

export function toTransition(row: TransitionsTable): Transition {
  return {
    deploymentId: row.deployment_id,
    seq: Number(row.seq),
    from: row.from_state as DeploymentState | null,
    to: row.to_state as DeploymentState,
    actor: row.actor,
    at: toDate(row.at),
    reason: row.reason,
    correlationId: row.correlation_id,
  };
}

export function toApproval(row: ApprovalsTable): Approval {
  return {
    deploymentId: row.deployment_id,
    approver: row.approver,
    verdict: row.verdict as ApprovalVerdict,
    comment: row.comment,
    at: toDate(row.at),
  };
}

export function toLock(row: LocksTable): Lock {
  return {
    environment: row.environment,
    service: row.service === '' ? null : row.service,
    owner: row.owner,
    reason: row.reason,
    createdAt: toDate(row.created_at),
    expiresAt: toDateOrNull(row.expires_at),
  };
}

export function toPostedMessage(row: PostedMessagesTable): PostedMessageRecord {
  return {
    subject: subjectOf(row),
    purpose: row.purpose,
    address: row.address,
    channel: row.channel,
    ts: row.ts,
    claimedAt: toDate(row.claimed_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * The subject from its foreign keys: at most one of them is set. A digest has no row of its own
 * to point at, so none is; its key says what it is.
 */
function subjectOf(row: PostedMessagesTable): MessageSubject {
  if (row.alert_group_id !== null && row.alert_episode !== null) {
    return alertSubject(row.alert_group_id, Number(row.alert_episode));
  }
  if (row.deployment_id === null) {
    const digest = digestOfKey(row.subject);
    if (digest) return digest;
  }
  return deploymentSubject(row.deployment_id ?? row.subject);
}

export function toReviewDecision(row: ReviewDecisionsTable): ReviewDecision {
  return {
    deploymentId: row.deployment_id,
    decision: row.decision as ReviewDecision['decision'],
    actor: row.actor,
    at: toDate(row.at),
  };
}

export function refusalRow(r: RefusalRecord): RefusalsTable {
  return {
    id: r.id,
    at: r.at.getTime(),
    actor: r.actor,
    source: r.source,
    channel: r.channel,
    action: r.action,
    service: r.service,
    environment: r.environment,
    version: r.version,
    deployment_id: r.deploymentId,
    code: r.code,
    reason: r.reason,
    correlation_id: r.correlationId,
  };
}

export function toRefusal(row: RefusalsTable): RefusalRecord {
  return {
    id: row.id,
    at: toDate(row.at),
    actor: row.actor,
    source: row.source as RequestSource,
    channel: row.channel,
    action: row.action,
    service: row.service,
    environment: row.environment,
    version: row.version,
    deploymentId: row.deployment_id,
    code: row.code,
    reason: row.reason,
    correlationId: row.correlation_id,
  };
}

export function toAlertGroup(row: AlertGroupsTable): AlertGroupRecord {
  return {
    groupId: row.group_id,
    episode: Number(row.episode),
    groupKey: row.group_key,
    state: JSON.parse(row.state),
    revision: Number(row.revision),
    deploymentId: row.deployment_id,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}
