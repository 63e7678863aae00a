import { ACTIVE_STATES, type Deployment } from '../core/deployment.js';
import type { StoreContext } from './context.js';
import { appendTransition } from './deployments.js';
import { toDeployment } from './rows.js';
import type { TransitionMeta } from './types.js';

export async function claimNextQueued(
  ctx: StoreContext,
  owner: string,
  leaseMs: number,
  meta: TransitionMeta,
): Promise<Deployment | null> {
  const at = meta.at ?? ctx.now();
  return ctx.db.transaction().execute(async (trx) => {
    // Without this, two processes could each see the target free (neither sees the other's
    // uncommitted claim) and both start a deployment on it.
    await ctx.dialect.lockQueue(trx);
    // Accepting a newer request supersedes the target's queued one without the queue lock (it
    // locks that row only), so the row picked here can stop being queued before it is updated:
    // the update then finds nothing, and the next candidate is read again (a new snapshot per
    // statement on Postgres, so the superseded row is no longer among them).
    const passed: string[] = [];
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const next = await trx
        .selectFrom('deployments as d')
        .select('d.id')
        .where('d.state', '=', 'queued')
        .$if(passed.length > 0, (q) => q.where('d.id', 'not in', passed))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('deployments as a')
                .select('a.id')
                .whereRef('a.service', '=', 'd.service')
                .whereRef('a.environment', '=', 'd.environment')
                .where('a.state', 'in', ACTIVE_STATES),
            ),
          ),
        )
        .orderBy('d.created_at')
        .orderBy('d.id')
        .limit(1)
        .executeTakeFirst();
      if (!next) return null;
      const row = await trx
        .updateTable('deployments')
        .set({
          state: 'running',
          lease_owner: owner,
          lease_expires_at: at.getTime() + leaseMs,
          started_at: at.getTime(),
          updated_at: at.getTime(),
        })
        .where('id', '=', next.id)
        .where('state', '=', 'queued')
        .returningAll()
        .executeTakeFirst();
      if (!row) {
        passed.push(next.id);
        continue;
      }
      await appendTransition(trx, row, 'queued', meta, at);
      return toDeployment(row);
    }
    // Every candidate moved on while being claimed: the next claim (the queueing event's, or
    // the poll's) looks again.
    return null;
  });
}

/** Candidates a claim tries before leaving the queue to the next one. */
const CLAIM_ATTEMPTS = 5;

export async function renewLeases(
  ctx: StoreContext,
  owner: string,
  ids: string[],
  leaseMs: number,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await ctx.db
    .updateTable('deployments')
    .set({ lease_expires_at: ctx.now().getTime() + leaseMs })
    .where('id', 'in', ids)
    .where('lease_owner', '=', owner)
    .where('state', 'in', ACTIVE_STATES)
    .returning('id')
    .execute();
  return rows.map((row) => row.id).sort();
}

export async function takeExpiredLeases(
  ctx: StoreContext,
  owner: string,
  leaseMs: number,
  now: Date = ctx.now(),
): Promise<Deployment[]> {
  // One conditional UPDATE: when two processes race, Postgres re-checks the WHERE on the row
  // the winner wrote (now unexpired), so only one of them takes each deployment.
  const rows = await ctx.db
    .updateTable('deployments')
    .set({ lease_owner: owner, lease_expires_at: now.getTime() + leaseMs })
    .where('state', 'in', ACTIVE_STATES)
    .where((eb) =>
      eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now.getTime())]),
    )
    .returningAll()
    .execute();
  return rows.map(toDeployment).sort(byCreation);
}

export async function releaseLeases(ctx: StoreContext, owner: string): Promise<void> {
  // A NULL lease counts as expired, so another process may take these over at once.
  await ctx.db
    .updateTable('deployments')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('lease_owner', '=', owner)
    .execute();
}

function byCreation(a: Deployment, b: Deployment): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);
}
