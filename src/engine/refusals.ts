import type { Deployment } from '../core/deployment.js';
import { newRefusalId } from '../core/ids.js';
import type { RefusalRecord } from '../store/types.js';
import { clockOf, type EngineDeps, type Refusal } from './context.js';

/** What a refused request was about, for the audit trail: everything but the outcome. */
export type RefusalSubject = Omit<RefusalRecord, 'id' | 'at' | 'code' | 'reason'>;

/**
 * The subject of a refused request that named a deployment (a button, approve, cancel, retry,
 * a review's): who asked, from where, and the deployment as far as it exists.
 */
export function deploymentSubject(
  caller: Pick<RefusalRecord, 'actor' | 'source' | 'channel'>,
  action: string,
  deploymentId: string,
  d: Deployment | null,
): RefusalSubject {
  return {
    actor: caller.actor,
    source: caller.source,
    channel: caller.channel,
    action,
    service: d?.service ?? null,
    environment: d?.environment ?? null,
    version: d?.version ?? null,
    deploymentId,
    correlationId: d?.correlationId ?? null,
  };
}

/**
 * Records a refusal in the audit trail and returns it. A refusal the store cannot record is
 * still answered (the person must hear the no), and logged, so the failure is seen.
 */
export async function refuseAndRecord(
  deps: EngineDeps,
  subject: RefusalSubject,
  refusal: Refusal,
  at: Date = clockOf(deps),
): Promise<Refusal> {
  try {
    await deps.store.recordRefusal({
      ...subject,
      id: newRefusalId(),
      at,
      code: refusal.code,
      reason: refusal.reason,
    });
  } catch (err) {
    deps.log.error(
      { err, code: refusal.code, actor: subject.actor, correlationId: subject.correlationId },
      'could not record a refusal',
    );
  }
  return refusal;
}
