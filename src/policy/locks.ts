import { findService } from '../config/lookup.js';
import type { Config } from '../config/schema.js';
import type { Lock } from '../core/deployment.js';
import { isAdmin, isOwner } from './principals.js';

/**
 * Locks that apply to a target. An environment-wide lock covers every service in it; a
 * service lock covers that service only. For an environment-wide target (`service` null), only
 * environment-wide locks count: locking production while someone holds "web in production"
 * does not take their lock away. Expired locks are ignored even if the store returned them.
 */
export function coveringLocks(locks: readonly Lock[], service: string | null, now: Date): Lock[] {
  return locks.filter(
    (lock) =>
      (lock.expiresAt === null || lock.expiresAt > now) &&
      (lock.service === null || (service !== null && lock.service === service)),
  );
}

/** Locks on exactly this scope (what `unlock` removes). */
export function exactLocks(locks: readonly Lock[], service: string | null, now: Date): Lock[] {
  return locks.filter(
    (lock) => (lock.expiresAt === null || lock.expiresAt > now) && lock.service === service,
  );
}

/**
 * Who may take over or remove someone else's lock with `lock!` / `unlock!`: admins, and for a
 * service lock the owners of that service. An environment-wide lock covers other teams'
 * services, so only admins may break it.
 */
export function mayBreakLock(config: Config, actor: string, lock: Lock): boolean {
  if (isAdmin(config, actor)) return true;
  if (lock.service === null) return false;
  const service = findService(config, lock.service);
  return service !== null && isOwner(config, actor, service);
}
