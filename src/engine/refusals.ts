import { newRefusalId } from '../core/ids.js';
import type { RefusalRecord } from '../store/types.js';
import { clockOf, type EngineDeps, type Refusal } from './context.js';

/** What a refused request was about, for the audit trail: everything but the outcome. */
export type RefusalSubject = Omit<RefusalRecord, 'id' | 'at' | 'code' | 'reason'>;

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
