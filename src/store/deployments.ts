import type { Kysely, RawBuilder, Transaction } from 'kysely';
import { sql } from 'kysely';
import {
  ACTIVE_STATES,
  DEPLOYMENT_STATES,
  type Deployment,
  type DeploymentState,
  isFinal,
  type Transition,
} from '../core/deployment.js';
import { ConflictError } from '../core/errors.js';
import { lockRows, type StoreContext } from './context.js';
import { literalLimit } from './limit.js';
import { preparedQuery } from './prepared.js';
import { newDeploymentRow, patchColumns, toDeployment, toTransition } from './rows.js';
import type { DeploymentsTable, Tables } from './tables.js';
import { contains, containsPattern, oneOrMore } from './text-search.js';
import type {
  DeploymentCount,
  DeploymentFilter,
  DeploymentPatch,
  NewDeployment,
  TransitionMeta,
} from './types.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** How many rows a list returns: 50 unless asked, at least 1, at most 500. */
export function pageLimit(limit: number | undefined): number {
  return Math.min(Math.max(Math.floor(limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
}

export async function createDeployment(
  ctx: StoreContext,
  deployment: NewDeployment,
  initial: DeploymentState,
  meta: TransitionMeta,
): Promise<{ deployment: Deployment; created: boolean }> {
  const at = meta.at ?? ctx.now();
  const key = deployment.idempotencyKey;
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      // Checking first keeps the common retry path free of failed (and, on Postgres,
      // aborted) transactions; the unique index below still decides races.
      const existing = key === null ? undefined : await selectByKey(trx, key);
      if (existing) return { deployment: toDeployment(existing), created: false };
      const row = newDeploymentRow(deployment, initial, at);
      if (isFinal(initial)) row.finished_at = at.getTime();
      await trx.insertInto('deployments').values(row).execute();
      await appendTransition(trx, row, null, meta, at);
      return { deployment: toDeployment(row), created: true };
    });
  } catch (err) {
    if (ctx.dialect.violation(err) !== 'unique') throw err;
    // Another request with the same key committed between our check and our insert.
    const winner = key === null ? null : await findByIdempotencyKey(ctx, key);
    if (winner) return { deployment: winner, created: false };
    throw await explainConflict(ctx, deployment, initial, err);
  }
}

async function explainConflict(
  ctx: StoreContext,
  deployment: NewDeployment,
  initial: DeploymentState,
  cause: unknown,
): Promise<ConflictError> {
  const sameId = await getDeployment(ctx, deployment.id);
  const error = sameId
    ? new ConflictError(`deployment id ${deployment.id} is already used: generate a new id`)
    : targetBusy(deployment, initial);
  error.cause = cause;
  return error;
}

function targetBusy(target: Pick<Deployment, 'service' | 'environment'>, to: DeploymentState) {
  return new ConflictError(
    `${target.service} in ${target.environment} already has an active deployment: wait for it to finish before moving another one to ${to}`,
    { service: target.service, environment: target.environment },
  );
}

export async function selectByKey(
  trx: Kysely<Tables>,
  key: string,
): Promise<DeploymentsTable | undefined> {
  return (await byIdempotencyKey(trx, key))[0];
}

export async function getDeployment(ctx: StoreContext, id: string): Promise<Deployment | null> {
  const row = await ctx.db
    .selectFrom('deployments')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toDeployment(row) : null;
}

export async function findByIdempotencyKey(
  ctx: StoreContext,
  key: string,
): Promise<Deployment | null> {
  const [row] = await byIdempotencyKey(ctx.db, key);
  return row ? toDeployment(row) : null;
}

// Every chat command looks its delivery up here first.
const byIdempotencyKey = preparedQuery((db, key: string) =>
  db.selectFrom('deployments').selectAll().where('idempotency_key', '=', key),
);

export async function listDeployments(
  ctx: StoreContext,
  filter: DeploymentFilter = {},
): Promise<Deployment[]> {
  if (filter.states?.length === 0) return [];
  const people = filter.requestedBy === undefined ? undefined : oneOrMore(filter.requestedBy);
  if (people?.length === 0) return [];
  const limit = pageLimit(filter.limit);
  let query = ctx.db.selectFrom('deployments').selectAll();
  if (filter.service !== undefined) query = query.where('service', '=', filter.service);
  if (filter.environment !== undefined) {
    query = query.where('environment', '=', filter.environment);
  }
  if (filter.states !== undefined) query = query.where('state', 'in', stateLiterals(filter.states));
  if (people !== undefined) query = query.where('requested_by', 'in', people);
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.id !== undefined) query = query.where('id', '=', filter.id);
  const { text } = filter;
  if (text !== undefined) {
    const pattern = containsPattern(text);
    query = query.where((eb) =>
      eb.or([
        eb('id', '=', text),
        contains('version', pattern),
        contains('reason', pattern),
        contains('outcome', pattern),
      ]),
    );
  }
  if (filter.before !== undefined) query = query.where('created_at', '<', filter.before.getTime());
  if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since.getTime());
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(literalLimit(limit))
    .execute();
  return rows.map(toDeployment);
}

/**
 * States written into the SQL rather than bound: only then can SQLite use the partial index of
 * active deployments (deployments_one_active_per_target) for "what runs on this target", which
 * it must prove from the query's text. Bound, it walked every deployment of the target instead:
 * 3 ms a lookup at 6,000 superseded requests, the largest cost of an accepted /deploy. Anything
 * not a known state is refused here, so no text of a caller reaches the SQL.
 */
function stateLiterals(states: readonly DeploymentState[]) {
  for (const state of states)
    if (!DEPLOYMENT_STATES.includes(state))
      throw new TypeError(`unknown deployment state "${state}"`);
  return states.map((state) => sql.lit(state));
}

export async function countDeployments(
  ctx: StoreContext,
  states: readonly DeploymentState[],
): Promise<DeploymentCount[]> {
  if (states.length === 0) return [];
  const rows = await ctx.db
    .selectFrom('deployments')
    .select(['service', 'environment', 'state'])
    // Postgres answers COUNT(*) as a BIGINT string, SQLite as a number.
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('state', 'in', states)
    .groupBy(['service', 'environment', 'state'])
    .execute();
  return rows.map((row) => ({
    service: row.service,
    environment: row.environment,
    state: row.state as DeploymentState,
    count: Number(row.count),
  }));
}

export async function transition(
  ctx: StoreContext,
  id: string,
  from: readonly DeploymentState[],
  to: DeploymentState,
  meta: TransitionMeta,
  patch: DeploymentPatch = {},
): Promise<Deployment | null> {
  if (from.length === 0) return null;
  const at = meta.at ?? ctx.now();
  const columns: Partial<DeploymentsTable> = {
    ...patchColumns(patch),
    state: to,
    updated_at: at.getTime(),
  };
  if (isFinal(to) && patch.finishedAt === undefined) columns.finished_at = at.getTime();
  try {
    if (ctx.dialect.kind === 'postgres')
      return await transitionInOneStatement(ctx.db, id, from, columns, meta, at);
    return await ctx.db.transaction().execute(async (trx) => {
      // The row lock (Postgres) makes a concurrent transition wait and then see our state,
      // so its compare-and-set fails instead of both succeeding.
      const current = await lockRows(
        ctx,
        trx.selectFrom('deployments').select(['state', 'lease_owner']).where('id', '=', id),
      ).executeTakeFirst();
      if (!current || !from.includes(current.state as DeploymentState)) return null;
      if (meta.holder !== undefined && current.lease_owner !== meta.holder) return null;
      const row = await trx
        .updateTable('deployments')
        .set(columns)
        .where('id', '=', id)
        .where('state', '=', current.state)
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendTransition(trx, row, current.state, meta, at);
      return toDeployment(row);
    });
  } catch (err) {
    // deployments_one_active_per_target: the database refuses a second active deployment.
    if (ctx.dialect.violation(err) === 'unique' && ACTIVE_STATES.includes(to)) {
      const deployment = await getDeployment(ctx, id);
      if (deployment) throw Object.assign(targetBusy(deployment, to), { cause: err });
    }
    throw err;
  }
}

/**
 * Postgres: the compare-and-set, its patch and its transition row in one statement, one round
 * trip where the transaction takes six. A run's last transition frees its target, and the next
 * request for that target waits for it to commit: on a loaded replica six round trips were tens
 * of milliseconds of that wait. The row lock is taken first (FOR UPDATE), so a concurrent
 * transition waits and is then judged on the state this one wrote, as in the transaction.
 */
async function transitionInOneStatement(
  db: Kysely<Tables>,
  id: string,
  from: readonly DeploymentState[],
  columns: Partial<DeploymentsTable>,
  meta: TransitionMeta,
  at: Date,
): Promise<Deployment | null> {
  const set = sql.join(
    Object.entries(columns).map(([column, value]) => sql`${sql.ref(column)} = ${value}`),
  );
  const holder = meta.holder ?? null;
  const { rows } = await sql<DeploymentsTable & { from_state: string }>`
    with current as (
      select id, state, lease_owner from deployments where id = ${id} for update
    ), moved as (
      update deployments d set ${set}
      from current c
      where d.id = c.id and d.state = c.state
        and c.state in (${sql.join(from.map((state) => sql.lit(state)))})
        and (${meta.holder === undefined} or c.lease_owner = ${holder})
      returning c.state as from_state, d.*
    ), written as (
      insert into transitions
        (deployment_id, seq, from_state, to_state, actor, at, reason, correlation_id)
      select m.id,
        ${nextTransitionSeq(sql.ref('m.id'))},
        m.from_state, m.state, ${meta.actor}, ${at.getTime()}, ${meta.reason ?? null},
        m.correlation_id
      from moved m
    )
    select * from moved`.execute(db);
  const row = rows[0];
  if (!row) return null;
  const { from_state: _, ...moved } = row;
  return toDeployment(moved);
}

/**
 * The seq a deployment's next transition takes, read inside the statement that writes it: a
 * statement that moves several deployments (a claim, a group superseding older requests)
 * numbers each one's transition after its own last one.
 */
export function nextTransitionSeq(deploymentId: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`coalesce((select max(t.seq) from transitions t where t.deployment_id = ${deploymentId}), 0) + 1`;
}

/** Appends the transition into `row.state`; seq follows the deployment's last one. */
export async function appendTransition(
  trx: Transaction<Tables>,
  row: Pick<DeploymentsTable, 'id' | 'state' | 'correlation_id'>,
  from: string | null,
  meta: TransitionMeta,
  at: Date,
): Promise<void> {
  await appendTransitionRow(
    trx,
    row.id,
    from,
    row.state,
    meta.actor,
    at.getTime(),
    meta.reason ?? null,
    row.correlation_id,
  );
}

type TransitionValues = [
  from: string | null,
  to: string,
  actor: string,
  at: number,
  reason: string | null,
  correlationId: string,
];

/** A `transitions` row to insert; `seq` given, or worked out in SQL (nextTransitionSeq). */
export function transitionRow(
  id: string,
  correlationId: string,
  seq: number | RawBuilder<number>,
  from: string | null,
  to: string,
  actor: string,
  at: number,
  reason: string | null,
) {
  return {
    deployment_id: id,
    seq,
    from_state: from,
    to_state: to,
    actor,
    at,
    reason,
    correlation_id: correlationId,
  };
}

// Compiled once: every claim, transition and supersede on SQLite appends one.
const appendTransitionRow = preparedQuery(
  (db, id: string, ...[from, to, actor, at, reason, correlationId]: TransitionValues) =>
    db
      .insertInto('transitions')
      .values(
        transitionRow(
          id,
          correlationId,
          nextTransitionSeq(sql.val(id)),
          from,
          to,
          actor,
          at,
          reason,
        ),
      ),
);

export async function patchDeployment(
  ctx: StoreContext,
  id: string,
  patch: DeploymentPatch,
  guard: { holder?: string } = {},
): Promise<boolean> {
  const columns = patchColumns(patch);
  if (Object.keys(columns).length === 0) return true;
  let update = ctx.db
    .updateTable('deployments')
    .set({ ...columns, updated_at: ctx.now().getTime() })
    .where('id', '=', id);
  if (guard.holder !== undefined) update = update.where('lease_owner', '=', guard.holder);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function listTransitions(
  ctx: StoreContext,
  deploymentId: string,
): Promise<Transition[]> {
  const rows = await ctx.db
    .selectFrom('transitions')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .orderBy('seq')
    .execute();
  return rows.map(toTransition);
}

export async function lastSucceeded(
  ctx: StoreContext,
  service: string,
  environment: string,
): Promise<Deployment | null> {
  const [row] = await liveOn(ctx.db, service, environment);
  return row ? toDeployment(row) : null;
}

/** The deployment live on a target, to select from: what finished last, not what was requested last. */
export function liveOnTarget(db: Kysely<Tables>, service: string, environment: string) {
  return db
    .selectFrom('deployments')
    .where('service', '=', service)
    .where('environment', '=', environment)
    .where('state', '=', 'succeeded')
    .orderBy(sql`coalesce(finished_at, updated_at)`, 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(literalLimit(1));
}

// Every accepted deploy request reads what is live on its target.
const liveOn = preparedQuery((db, service: string, environment: string) =>
  liveOnTarget(db, service, environment).selectAll(),
);

/** Targets per query: 2 bound values each, far below either database's limit. */
const TARGETS_PER_QUERY = 1_000;

/**
 * `lastSucceeded` of each target, in one query for up to a thousand of them: one index lookup
 * each (deployments_live) inside the database. The overview asks for every target at once, and
 * one round trip each cost it about 25 ms on Postgres for 80 targets, a third of its time.
 */
export function lastSucceededOn(
  ctx: StoreContext,
  targets: ReadonlyArray<{ service: string; environment: string }>,
): Promise<Deployment[]> {
  // The same order as lastSucceeded's, so both name the same deployment.
  return onePerTarget(
    ctx,
    targets,
    sql`x.state = 'succeeded'`,
    sql`coalesce(x.finished_at, x.updated_at) desc, x.created_at desc, x.id desc`,
  );
}

/** The newest deployment of each target, whatever its state, as listDeployments orders them. */
export function newestOn(
  ctx: StoreContext,
  targets: ReadonlyArray<{ service: string; environment: string }>,
): Promise<Deployment[]> {
  return onePerTarget(ctx, targets, sql`1 = 1`, sql`x.created_at desc, x.id desc`);
}

/** One deployment per target, the first by `order` among those `where` admits, in one read. */
async function onePerTarget(
  ctx: StoreContext,
  targets: ReadonlyArray<{ service: string; environment: string }>,
  where: RawBuilder<unknown>,
  order: RawBuilder<unknown>,
): Promise<Deployment[]> {
  const out: Deployment[] = [];
  for (let from = 0; from < targets.length; from += TARGETS_PER_QUERY) {
    const some = targets.slice(from, from + TARGETS_PER_QUERY);
    const wanted = sql.join(
      some.map((t) => sql`select ${t.service} as service, ${t.environment} as environment`),
      sql` union all `,
    );
    const { rows } = await sql<DeploymentsTable>`select d.* from deployments d where d.id in (
      select (select x.id from deployments x
        where x.service = t.service and x.environment = t.environment and ${where}
        order by ${order}
        limit 1)
      from (${wanted}) t)`.execute(ctx.db);
    out.push(...rows.map(toDeployment));
  }
  return out;
}
