import type { ApprovalVerdict, Deployment } from '../../core/deployment.js';
import { clockOf, type EngineDeps, type Refusal, refuse } from '../../engine/context.js';
import { describeDeployment } from '../../engine/describe.js';
import { deploymentSubject, refuseAndRecord } from '../../engine/refusals.js';
import { emitTransition } from '../../engine/requests.js';
import { decide } from '../../policy/decide.js';

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
