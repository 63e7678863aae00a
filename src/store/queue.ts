import { sql } from 'kysely';
import { ACTIVE_STATES, type Deployment } from '../core/deployment.js';
import type { StoreContext } from './context.js';
import { appendTransition, nextTransitionSeq } from './deployments.js';
import { literalLimit } from './limit.js';
import { toDeployment } from './rows.js';
import type { DeploymentsTable } from './tables.js';
import type { TransitionMeta } from './types.js';

export async function claimNextQueued(
  ctx: StoreContext,
  owner: string,
  leaseMs: number,
  meta: TransitionMeta,
): Promise<Deployment | null> {
  const at = meta.at ?? ctx.now();
  if (ctx.dialect.kind === 'postgres') return claimInOneStatement(ctx, owner, leaseMs, meta, at);
  // SQLite: the transaction begins IMMEDIATE and runs alone, so the row read is the row updated.
  return ctx.db.transaction().execute(async (trx) => {
    const next = await trx
      .selectFrom('deployments as d')
      .select('d.id')
      .where('d.state', '=', 'queued')
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
      .limit(literalLimit(1))
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
      .executeTakeFirstOrThrow();
    await appendTransition(trx, row, 'queued', meta, at);
    return toDeployment(row);
  });
}

/** Tries a claim makes when another replica's claim of the same target commits first. */
const CLAIM_ATTEMPTS = 5;

/**
 * Postgres: the claim is one statement, not a transaction of seven round trips under a lock
 * every replica's claims queued behind. A replica skips the queued rows another one is claiming
 * or superseding (SKIP LOCKED) instead of waiting for them, and never takes a request while an
 * older one of its target is still queued. Two replicas that each see a target free before the
 * other commits are kept apart by the unique index of one active deployment per target: the
 * loser looks again.
 */
async function claimInOneStatement(
  ctx: StoreContext,
  owner: string,
  leaseMs: number,
  meta: TransitionMeta,
  at: Date,
): Promise<Deployment | null> {
  const active = sql.join(ACTIVE_STATES.map((state) => sql.lit(state)));
  const now = at.getTime();
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    try {
      const { rows } = await sql<DeploymentsTable>`
        with next as (
          select d.id from deployments d
          where d.state = 'queued'
            and not exists (
              select 1 from deployments a
              where a.service = d.service and a.environment = d.environment and a.state in (${active})
            )
            -- A target's requests run in the order they came, even when its oldest is skipped.
            and not exists (
              select 1 from deployments o
              where o.service = d.service and o.environment = d.environment and o.state = 'queued'
                and (o.created_at < d.created_at or (o.created_at = d.created_at and o.id < d.id))
            )
          order by d.created_at, d.id
          limit 1
          for update skip locked
        ), claimed as (
          update deployments set state = 'running', lease_owner = ${owner},
            lease_expires_at = ${now + leaseMs}, started_at = ${now}, updated_at = ${now}
          from next where deployments.id = next.id and deployments.state = 'queued'
          returning deployments.*
        ), written as (
          insert into transitions
            (deployment_id, seq, from_state, to_state, actor, at, reason, correlation_id)
          select c.id,
            ${nextTransitionSeq(sql.ref('c.id'))},
            'queued', c.state, ${meta.actor}, ${now}, ${meta.reason ?? null}, c.correlation_id
          from claimed c
        )
        select * from claimed`.execute(ctx.db);
      const row = rows[0];
      return row ? toDeployment(row) : null;
    } catch (err) {
      // Another replica's claim of the same target committed first.
      if (ctx.dialect.violation(err) !== 'unique') throw err;
    }
  }
  return null;
}

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
