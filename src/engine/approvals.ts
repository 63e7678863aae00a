import type { ApprovalVerdict, Deployment, DeploymentState } from '../core/deployment.js';
import { decide } from '../policy/decide.js';
import { clockOf, type EngineDeps, type Refusal, refuse } from './context.js';
import { describeDeployment } from './describe.js';
import { deploymentSubject, refuseAndRecord } from './refusals.js';
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
  const refused = (refusal: Refusal) =>
    refuseAndRecord(
      deps,
      deploymentSubject(request, request.verdict, request.deploymentId, deployment),
      refusal,
    );
  if (!deployment)
    return refused(refuse('not_found', `There is no deployment ${request.deploymentId}.`));
  if (deployment.state !== 'awaiting_approval') {
    return refused(
      refuse(
        'not_awaiting_approval',
        `Nothing to ${request.verdict}: ${describeDeployment(deployment)}${deployment.outcome ? ` — ${deployment.outcome}` : ''}.`,
      ),
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
    now: clockOf(deps),
  });
  if (!decision.allowed) return refused(refuse(decision.code, decision.reason));

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
      { outcome: reason, finishedAt: clockOf(deps) },
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

export interface CancelRequest {
  deploymentId: string;
  actor: string;
  channel: string | null;
  source: Deployment['source'];
  reason?: string | null;
}

/**
 * Cancels a deployment. One that has not started ends `cancelled`. One that is running or
 * verifying is moved to `rolling_back` here, before anything is stopped: the process running it
 * then stops the driver's work and rolls the target back to what was live before.
 */
export async function cancelDeployment(
  deps: EngineDeps,
  request: CancelRequest,
): Promise<{ ok: true; deployment: Deployment } | Refusal> {
  const now = clockOf(deps);
  const deployment = await deps.store.getDeployment(request.deploymentId);
  const refused = (refusal: Refusal) =>
    refuseAndRecord(
      deps,
      deploymentSubject(request, 'cancel', request.deploymentId, deployment),
      refusal,
      now,
    );
  if (!deployment)
    return refused(refuse('not_found', `There is no deployment ${request.deploymentId}.`));
  const decision = decide(deps.config, {
    actor: request.actor,
    channel: request.channel,
    source: request.source,
    action: 'cancel',
    service: deployment.service,
    environment: deployment.environment,
    requestedBy: deployment.requestedBy,
    now,
  });
  if (!decision.allowed) return refused(refuse(decision.code, decision.reason));
  const cancellable: DeploymentState[] =
    deployment.kind === 'rollback' ? [...PENDING_STATES] : [...PENDING_STATES, ...RUNNING];
  if (!cancellable.includes(deployment.state)) {
    const why =
      deployment.kind === 'rollback' && RUNNING.includes(deployment.state)
        ? `${describeDeployment(deployment)}: a running rollback is not stopped halfway; when it ends, deploy the version you want.`
        : `${describeDeployment(deployment)} has already ended${deployment.state === 'rolling_back' ? ' its run and is rolling back' : ''}; to undo it: rollback ${deployment.service} in ${deployment.environment}.`;
    return refused(refuse('not_cancellable', why));
  }
  const reason = `cancelled by ${request.actor}${request.reason ? `: ${request.reason}` : ''}`;
  const running = RUNNING.includes(deployment.state);
  const moved = await deps.store.transition(
    deployment.id,
    running ? RUNNING : PENDING_STATES,
    running ? 'rolling_back' : 'cancelled',
    { actor: request.actor, reason },
    running ? { outcome: reason } : { outcome: reason, finishedAt: clockOf(deps) },
  );
  if (!moved)
    return refused(
      refuse(
        'not_cancellable',
        `${deployment.id} moved on before it could be cancelled; check its message.`,
      ),
    );
  emitTransition(deps, moved, deployment.state, request.actor, reason);
  return { ok: true, deployment: moved };
}

/** States in which the driver is working on the target. */
const RUNNING: DeploymentState[] = ['running', 'verifying'];
