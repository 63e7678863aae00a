import type { Lock } from '../core/deployment.js';
import { lockRows, type StoreContext } from './context.js';
import { preparedQuery } from './prepared.js';
import { toLock, toMillisOrNull } from './rows.js';
import type { LocksTable } from './tables.js';
import type { LockResult } from './types.js';

/** The primary key cannot hold NULL, so an environment-wide lock is stored with ''. */
function serviceKey(service: string | null): string {
  return service ?? '';
}

function isLive(lock: Pick<LocksTable, 'expires_at'>, now: number): boolean {
  return lock.expires_at === null || Number(lock.expires_at) > now;
}

/** Two first-time lockers can both see no row; the loser retries and then sees the winner. */
const MAX_ATTEMPTS = 5;

export async function acquireLock(
  ctx: StoreContext,
  lock: Omit<Lock, 'createdAt'> & { createdAt?: Date },
  force: boolean,
): Promise<LockResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await tryAcquireLock(ctx, lock, force);
    if (result !== 'retry') return result;
    if (attempt >= MAX_ATTEMPTS) {
      throw new Error(`lock on ${lock.environment} kept changing under contention; try again`);
    }
  }
}

function tryAcquireLock(
  ctx: StoreContext,
  lock: Omit<Lock, 'createdAt'> & { createdAt?: Date },
  force: boolean,
): Promise<LockResult | 'retry'> {
  const createdAt = lock.createdAt ?? ctx.now();
  const now = createdAt.getTime();
  const key = { environment: lock.environment, service: serviceKey(lock.service) };
  return ctx.db.transaction().execute(async (trx) => {
    const existing = await lockRows(
      ctx,
      trx
        .selectFrom('locks')
        .selectAll()
        .where('environment', '=', key.environment)
        .where('service', '=', key.service),
    ).executeTakeFirst();
    const live = existing && isLive(existing, now) ? existing : undefined;
    if (live && live.owner !== lock.owner && !force) return { ok: false, heldBy: toLock(live) };
    const row: LocksTable = {
      ...key,
      owner: lock.owner,
      reason: lock.reason,
      // The same owner re-locking refreshes expiry and reason but keeps "locked since".
      created_at: live && live.owner === lock.owner ? Number(live.created_at) : now,
      expires_at: toMillisOrNull(lock.expiresAt),
    };
    const replaced = live && live.owner !== lock.owner ? toLock(live) : null;
    if (existing) {
      await trx
        .updateTable('locks')
        .set(row)
        .where('environment', '=', key.environment)
        .where('service', '=', key.service)
        .execute();
      return { ok: true, lock: toLock(row), replaced };
    }
    const inserted = await trx
      .insertInto('locks')
      .values(row)
      .onConflict((oc) => oc.columns(['environment', 'service']).doNothing())
      .returning('owner')
      .executeTakeFirst();
    return inserted ? { ok: true, lock: toLock(row), replaced } : 'retry';
  });
}

export async function releaseLock(
  ctx: StoreContext,
  environment: string,
  service: string | null,
): Promise<Lock | null> {
  const row = await ctx.db
    .deleteFrom('locks')
    .where('environment', '=', environment)
    .where('service', '=', serviceKey(service))
    .returningAll()
    .executeTakeFirst();
  // An expired lock no longer existed as far as anyone could tell.
  return row && isLive(row, ctx.now().getTime()) ? toLock(row) : null;
}

export async function listLocks(
  ctx: StoreContext,
  environment?: string,
  now: Date = ctx.now(),
): Promise<Lock[]> {
  const rows =
    environment === undefined
      ? await liveLocks(ctx.db, now.getTime())
      : await liveLocksIn(ctx.db, now.getTime(), environment);
  return rows.map(toLock);
}

// Policy reads the environment's locks for every deploy request.
const liveLocks = preparedQuery((db, now: number) =>
  db
    .selectFrom('locks')
    .selectAll()
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('environment')
    .orderBy('service'),
);
const liveLocksIn = preparedQuery((db, now: number, environment: string) =>
  db
    .selectFrom('locks')
    .selectAll()
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .where('environment', '=', environment)
    .orderBy('environment')
    .orderBy('service'),
);
