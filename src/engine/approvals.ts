import type { ApprovalVerdict, Deployment } from '../core/deployment.js';
import { decide } from '../policy/decide.js';
import { type EngineDeps, type Refusal, refuse } from './context.js';
import { describeDeployment } from './describe.js';
import { emitTransition } from './requests.js';
import { PENDING_STATES } from './state-machine.js';

export interface VerdictRequest {
  deploymentId: string;
  actor: string;
  channel: string | null;
  source: Deployment['source'];
  verdict: ApprovalVerdict;
  comment?: string | null;
}

export type VerdictAccepted = {
  ok: true;
  deployment: Deployment;
  /** Distinct approvals so far, and how many are needed. */
  approvals: number;
  required: number;
};

/**
 * Records an approval or rejection. Safe to repeat: a second click by the same person, or a
 * click on a deployment that moved on, is answered without changing anything.
 */
export async function recordVerdict(
  deps: EngineDeps,
  request: VerdictRequest,
): Promise<VerdictAccepted | Refusal> {
  const { store } = deps;
  const deployment = await store.getDeployment(request.deploymentId);
  if (!deployment) return refuse('not_found', `There is no deployment ${request.deploymentId}.`);
  if (deployment.state !== 'awaiting_approval') {
    return refuse(
      'not_awaiting_approval',
      `Nothing to ${request.verdict}: ${describeDeployment(deployment)}${deployment.outcome ? ` — ${deployment.outcome}` : ''}.`,
    );
  }
  const decision = decide(deps.config, {
    actor: request.actor,
    channel: request.channel,
    source: request.source,
    action: request.verdict,
    service: deployment.service,
    environment: deployment.environment,
    requestedBy: deployment.requestedBy,
    now: deps.now?.() ?? new Date(),
  });
  if (!decision.allowed) return refuse(decision.code, decision.reason);

  const { created } = await store.addApproval({
    deploymentId: deployment.id,
    approver: request.actor,
    verdict: request.verdict,
    comment: request.comment ?? null,
  });
  if (!created) {
    return refuse('already_voted', `You already gave your verdict on ${deployment.id}; it stands.`);
  }
  const approvals = (await store.listApprovals(deployment.id)).filter(
    (a) => a.verdict === 'approve',
  );
  deps.events.emit({
    type: 'approval',
    deployment,
    approver: request.actor,
    verdict: request.verdict,
    count: approvals.length,
  });
  if (request.verdict === 'reject') {
    const reason = `rejected by ${request.actor}${request.comment ? `: ${request.comment}` : ''}`;
    const moved = await store.transition(
      deployment.id,
      ['awaiting_approval'],
      'cancelled',
      { actor: request.actor, reason },
      { outcome: reason, finishedAt: new Date() },
    );
    if (moved) emitTransition(deps, moved, 'awaiting_approval', request.actor, reason);
    return {
      ok: true,
      deployment: moved ?? deployment,
      approvals: approvals.length,
      required: deployment.approvalsRequired,
    };
  }
  if (approvals.length < deployment.approvalsRequired) {
    return {
      ok: true,
      deployment,
      approvals: approvals.length,
      required: deployment.approvalsRequired,
    };
  }
  const reason = `approved by ${approvals.map((a) => a.approver).join(', ')}`;
  const moved = await store.transition(deployment.id, ['awaiting_approval'], 'queued', {
    actor: request.actor,
    reason,
  });
  if (moved) emitTransition(deps, moved, 'awaiting_approval', request.actor, reason);
  return {
    ok: true,
    deployment: moved ?? deployment,
    approvals: approvals.length,
    required: deployment.approvalsRequired,
  };
}

/** Cancels a deployment that has not started. One that is running is rolled back instead. */
export async function cancelDeployment(
  deps: EngineDeps,
  request: {
    deploymentId: string;
    actor: string;
    channel: string | null;
    source: Deployment['source'];
    reason?: string | null;
  },
): Promise<{ ok: true; deployment: Deployment } | Refusal> {
  const deployment = await deps.store.getDeployment(request.deploymentId);
  if (!deployment) return refuse('not_found', `There is no deployment ${request.deploymentId}.`);
  if (!PENDING_STATES.includes(deployment.state)) {
    return refuse(
      'not_cancellable',
      `${describeDeployment(deployment)} has already started or ended; roll it back instead: rollback ${deployment.service} in ${deployment.environment}.`,
    );
  }
  const decision = decide(deps.config, {
    actor: request.actor,
    channel: request.channel,
    source: request.source,
    action: 'cancel',
    service: deployment.service,
    environment: deployment.environment,
    requestedBy: deployment.requestedBy,
    now: deps.now?.() ?? new Date(),
  });
  if (!decision.allowed) return refuse(decision.code, decision.reason);
  const reason = `cancelled by ${request.actor}${request.reason ? `: ${request.reason}` : ''}`;
  const moved = await deps.store.transition(
    deployment.id,
    PENDING_STATES,
    'cancelled',
    { actor: request.actor, reason },
    { outcome: reason, finishedAt: new Date() },
  );
  if (!moved)
    return refuse('not_cancellable', `${deployment.id} started before it could be cancelled.`);
  emitTransition(deps, moved, deployment.state, request.actor, reason);
  return { ok: true, deployment: moved };
}
