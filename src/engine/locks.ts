import { findEnvironment, findService } from '../config/index.js';
import type { Lock, RequestSource } from '../core/deployment.js';
import { formatDuration } from '../core/duration.js';
import { decide } from '../policy/decide.js';
import { type EngineDeps, type Refusal, refuse } from './context.js';

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
  const unknown = checkNames(deps, request.environment, request.service);
  if (unknown) return unknown;
  const now = deps.now?.() ?? new Date();
  const locks = await deps.store.listLocks(request.environment, now);
  const decision = decide(deps.config, { ...request, action: 'lock', locks, now });
  if (!decision.allowed) return refuse(decision.code, decision.reason);
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
    return refuse(
      'lock_held',
      `${describeLock(result.heldBy)}. Ask them, or take it over with lock! if you may.`,
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
  const unknown = checkNames(deps, request.environment, request.service);
  if (unknown) return unknown;
  const now = deps.now?.() ?? new Date();
  const locks = await deps.store.listLocks(request.environment, now);
  const held = locks.find((l) => l.service === request.service);
  if (!held) {
    const what = request.service
      ? `${request.service} in ${request.environment}`
      : request.environment;
    return refuse('not_locked', `${what} is not locked.`);
  }
  const decision = decide(deps.config, { ...request, action: 'unlock', locks, now });
  if (!decision.allowed) return refuse(decision.code, decision.reason);
  const released = await deps.store.releaseLock(request.environment, request.service);
  if (!released) return refuse('not_locked', `${request.environment} was unlocked meanwhile.`);
  deps.events.emit({
    type: 'lock',
    environment: request.environment,
    service: request.service,
    owner: request.actor,
    released: true,
  });
  return { ok: true, released };
}

export function describeLock(lock: Lock, now = new Date()): string {
  const what = lock.service ? `${lock.service} in ${lock.environment}` : lock.environment;
  const until = lock.expiresAt
    ? ` for another ${formatDuration(Math.max(0, lock.expiresAt.getTime() - now.getTime()))}`
    : '';
  const why = lock.reason ? ` ("${lock.reason}")` : '';
  return `${what} is locked by ${lock.owner}${why} since ${lock.createdAt.toISOString()}${until}`;
}

function checkNames(deps: EngineDeps, environment: string, service: string | null): Refusal | null {
  if (!findEnvironment(deps.config, environment)) {
    return refuse('unknown_environment', `There is no environment called "${environment}".`);
  }
  if (service && !findService(deps.config, service)) {
    return refuse('unknown_service', `There is no service called "${service}".`);
  }
  return null;
}
