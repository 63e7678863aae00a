import type { Deployment } from '../core/deployment.js';
import { decide } from '../policy/decide.js';
import type { CanarySignalAction } from '../store/types.js';
import { canaryProgressOf } from './canary.js';
import { clockOf, type EngineDeps, type Refusal, refuse } from './context.js';
import { describeDeployment } from './describe.js';
import { deploymentSubject, refuseAndRecord } from './refusals.js';
import { verifyProgressOf } from './verification.js';

export interface SteerRequest {
  deploymentId: string;
  actor: string;
  channel: string | null;
  source: Deployment['source'];
  /** Abort is not here: it is a cancel, which removes the canary. */
  action: Exclude<CanarySignalAction, 'abort'>;
}

/**
 * A person's say in a canary going out (or a verification that could not decide): pause it at
 * its weight, resume it, or promote it now. Policy decides who (as for a cancel); the word is
 * stored for whichever process runs the deployment, which acts on it within a second.
 */
export async function steerDeployment(
  deps: EngineDeps,
  request: SteerRequest,
): Promise<{ ok: true; deployment: Deployment } | Refusal> {
  const now = clockOf(deps);
  const d = await deps.store.getDeployment(request.deploymentId);
  const refused = (refusal: Refusal) =>
    refuseAndRecord(
      deps,
      deploymentSubject(request, `canary ${request.action}`, request.deploymentId, d),
      refusal,
      now,
    );
  if (!d) return refused(refuse('not_found', `There is no deployment ${request.deploymentId}.`));
  const decision = decide(deps.config, {
    actor: request.actor,
    channel: request.channel,
    source: request.source,
    action: 'steer',
    service: d.service,
    environment: d.environment,
    requestedBy: d.requestedBy,
    now,
  });
  if (!decision.allowed) return refused(refuse(decision.code, decision.reason));
  const canary = canaryProgressOf(d);
  const verify = verifyProgressOf(d);
  const steerable =
    (d.state === 'running' && canary !== null && !canary.promoting) ||
    (d.state === 'verifying' && verify?.asked != null && request.action !== 'pause');
  if (!steerable) {
    const why =
      d.state === 'running' || d.state === 'verifying'
        ? `${describeDeployment(d)} is not a canary waiting at a step, so there is nothing to ${request.action}.`
        : `${describeDeployment(d)} is not running any more.`;
    return refused(refuse('not_steerable', why));
  }
  await deps.store.addCanarySignal({
    deploymentId: d.id,
    action: request.action,
    actor: request.actor,
    at: now,
  });
  return { ok: true, deployment: d };
}
