import type { Lock, RequestSource } from '../core/deployment.js';
import { formatDuration } from '../core/duration.js';
import { decide } from '../policy/decide.js';
import { clockOf, type EngineDeps, type Refusal, refuse } from './context.js';
import { refuseAndRecord } from './refusals.js';

export interface LockRequest {
  actor: string;
  source: RequestSource;
  channel: string | null;
  environment: string;
  service: string | null;
  durationMs: number | null;
  reason: string | null;
  /** `lock!` / `unlock!`: take over or remove someone else's lock. */
  force: boolean;
}

export async function lockTarget(
  deps: EngineDeps,
  request: LockRequest,
): Promise<{ ok: true; lock: Lock; replaced: Lock | null } | Refusal> {
  const now = clockOf(deps);
  const refused = (refusal: Refusal) =>
    refuseAndRecord(deps, auditOf(request, 'lock'), refusal, now);
  const locks = await listLocks(deps, request.environment, now);
  const decision = decide(deps.config, { ...request, action: 'lock', locks, now });
  if (!decision.allowed)
    return refused(refuse(decision.code, decision.reason, decision.suggestion));
  const result = await deps.store.acquireLock(
    {
      environment: request.environment,
      service: request.service,
      owner: request.actor,
      reason: request.reason,
      createdAt: now,
      expiresAt: request.durationMs ? new Date(now.getTime() + request.durationMs) : null,
    },
    request.force,
  );
  if (!result.ok)
    return refused(
      refuse(
        'lock_held',
        `${describeLock(result.heldBy)}. Ask them, or take it over with lock! if you may.`,
      ),
    );
  deps.events.emit({
    type: 'lock',
    environment: request.environment,
    service: request.service,
    owner: request.actor,
    released: false,
  });
  return result;
}

export async function unlockTarget(
  deps: EngineDeps,
  request: Omit<LockRequest, 'durationMs' | 'reason'>,
): Promise<{ ok: true; released: Lock } | Refusal> {
  const now = clockOf(deps);
  const refused = (refusal: Refusal) =>
    refuseAndRecord(deps, auditOf(request, 'unlock'), refusal, now);
  const locks = await listLocks(deps, request.environment, now);
  // Policy first: whether the target is locked is not told to someone who may not unlock it.
  const decision = decide(deps.config, { ...request, action: 'unlock', locks, now });
  if (!decision.allowed)
    return refused(refuse(decision.code, decision.reason, decision.suggestion));
  const what = request.service
    ? `${request.service} in ${request.environment}`
    : request.environment;
  if (!locks.some((l) => l.service === request.service))
    return refused(refuse('not_locked', `${what} is not locked.`));
  const released = await deps.store.releaseLock(request.environment, request.service);
  if (!released) return refused(refuse('not_locked', `${what} was unlocked meanwhile.`));
  deps.events.emit({
    type: 'lock',
    environment: request.environment,
    service: request.service,
    owner: request.actor,
    released: true,
  });
  return { ok: true, released };
}

/** Locks of a known environment; none for an unknown name, which policy then refuses. */
async function listLocks(deps: EngineDeps, environment: string, now: Date): Promise<Lock[]> {
  if (!deps.config.environments.some((e) => e.name === environment)) return [];
  return deps.store.listLocks(environment, now);
}

function auditOf(request: Omit<LockRequest, 'durationMs' | 'reason'>, action: 'lock' | 'unlock') {
  return {
    actor: request.actor,
    source: request.source,
    channel: request.channel,
    action: request.force ? `${action}!` : action,
    service: request.service,
    environment: request.environment,
    version: null,
    deploymentId: null,
    correlationId: null,
  };
}

export function describeLock(lock: Lock, now = new Date()): string {
  const what = lock.service ? `${lock.service} in ${lock.environment}` : lock.environment;
  const until = lock.expiresAt
    ? ` for another ${formatDuration(Math.max(0, lock.expiresAt.getTime() - now.getTime()))}`
    : '';
  const why = lock.reason ? ` ("${lock.reason}")` : '';
  return `${what} is locked by ${lock.owner}${why} since ${lock.createdAt.toISOString()}${until}`;
}
