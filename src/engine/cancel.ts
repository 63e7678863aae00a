import type { Deployment, DeploymentState } from '../core/deployment.js';
import { decide } from '../policy/decide.js';
import { markGoingBack } from './bad-versions.js';
import { clockOf, type EngineDeps, type Refusal, refuse } from './context.js';
import { describeDeployment } from './describe.js';
import { deploymentSubject, refuseAndRecord } from './refusals.js';
import { emitTransition } from './requests.js';
import { PENDING_STATES } from './state-machine.js';

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
  // Alert automation stops a running deploy because its alerts fire: a verdict on the version,
  // which a person's cancel ("not now") is not.
  if (running && request.source === 'webhook') await markGoingBack(deps, moved, request.actor);
  return { ok: true, deployment: moved };
}

/** States in which the driver is working on the target. */
const RUNNING: DeploymentState[] = ['running', 'verifying'];
