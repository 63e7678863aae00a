import type { Deployment, RequestSource } from '../core/deployment.js';
import type { EngineDeps, Refusal } from './context.js';
import { refuse } from './context.js';
import { deploymentSubject, refuseAndRecord } from './refusals.js';
import { type DeployAccepted, type DeployRequest, requestDeployment } from './requests.js';

/** Who acts on a deployment's button, alert or API call. */
export interface FollowUpCaller {
  actor: string;
  source: RequestSource;
  channel: string | null;
  reason?: string | null;
}

/**
 * The idempotency key of "roll back this deployment": one rollback per deployment, whether it
 * comes from its message's button, an alert's button, or an automatic rollback on an alert.
 */
export function rollbackKey(deploymentId: string): string {
  return `rollback-of:${deploymentId}`;
}

/** One retry per failed deployment, however many times its Retry button is clicked. */
export function retryKey(deploymentId: string): string {
  return `retry-of:${deploymentId}`;
}

/**
 * "Roll back" on a deployment (its message, an alert): only while that deployment is what is
 * live, back to the version live before it, and through the same pipeline as a typed rollback.
 */
export async function rollBackDeployment(
  deps: EngineDeps,
  caller: FollowUpCaller & { deploymentId: string },
): Promise<DeployAccepted | Refusal> {
  const d = await deps.store.getDeployment(caller.deploymentId);
  const refused = (refusal: Refusal) =>
    refuseAndRecord(deps, deploymentSubject(caller, 'rollback', caller.deploymentId, d), refusal);
  if (!d) return refused(refuse('not_found', `There is no deployment ${caller.deploymentId}.`));
  const live = await deps.store.lastSucceeded(d.service, d.environment);
  if (!live || live.id !== d.id) {
    const now = live
      ? `${live.version} is live there now`
      : 'nothing Slipway deployed is live there';
    return refused(
      refuse(
        'moved_on',
        `${d.service} in ${d.environment} has moved on since ${d.version} was deployed: ${now}. To roll back what is live, type: rollback ${d.service} in ${d.environment}`,
      ),
    );
  }
  return requestDeployment(deps, {
    ...request(caller, d),
    kind: 'rollback',
    version: d.previousVersion,
    idempotencyKey: rollbackKey(d.id),
  });
}

/**
 * "Retry" on a failed deployment: the same version again. Decided as a deploy: whatever was
 * live has been restored meanwhile, so this changes the target like any deploy.
 */
export async function retryDeployment(
  deps: EngineDeps,
  caller: FollowUpCaller & { deploymentId: string },
): Promise<DeployAccepted | Refusal> {
  const d = await deps.store.getDeployment(caller.deploymentId);
  if (!d || !['failed', 'rolled_back'].includes(d.state)) {
    const why = d
      ? `Only a failed deployment can be retried; ${d.id} is ${d.state.replace('_', ' ')}.`
      : `There is no deployment ${caller.deploymentId}.`;
    return refuseAndRecord(
      deps,
      deploymentSubject(caller, 'retry', caller.deploymentId, d),
      refuse(d ? 'not_retryable' : 'not_found', why),
    );
  }
  return requestDeployment(deps, {
    ...request(caller, d),
    // A failed rollback is tried again as a rollback, to the same version.
    kind: d.kind,
    version: d.version,
    ref: d.ref,
    retryOf: d.id,
    idempotencyKey: retryKey(d.id),
  });
}

function request(caller: FollowUpCaller, d: Deployment): Omit<DeployRequest, 'kind' | 'version'> {
  return {
    actor: caller.actor,
    source: caller.source,
    channel: caller.channel,
    service: d.service,
    environment: d.environment,
    reason: caller.reason ?? null,
  };
}
