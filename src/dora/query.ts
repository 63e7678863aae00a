import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import { ACTIVE_STATES, type DeploymentKind, type DeploymentState } from '../core/deployment.js';
import type { StoreContext } from '../store/context.js';
import { toDate, toDateOrNull } from '../store/rows.js';
import type { Tables } from '../store/tables.js';
import { isResolved, lastEnd } from '../webhooks/alertmanager/group.js';
import { GroupState } from '../webhooks/alertmanager/schema.js';
import type { DoraAlert, DoraDeployment, DoraQuery, DoraRecords, DoraTarget } from './types.js';

interface Scope {
  services: string[];
  environments: string[];
  since: number;
  until: number;
}

/**
 * The records of `targets` that matter to the window (compute.ts), in three queries that read
 * the same on SQLite and Postgres: the deployments that began before its end and ended in it or
 * after it (changes, rollbacks, restores); those still active (a rollback under way); and the
 * alert groups tied to the first. Each deployment comes with what the metrics ask of its
 * neighbours, looked up through indexes: when it failed (its transitions), its version's commit
 * time and build report (`deployments_service_version`), whether that version was live on the
 * target before.
 */
export async function doraRecords(ctx: StoreContext, query: DoraQuery): Promise<DoraRecords> {
  const { targets, window } = query;
  if (targets.length === 0) return { deployments: [], alerts: [] };
  const scope: Scope = {
    services: [...new Set(targets.map((t) => t.service))],
    environments: [...new Set(targets.map((t) => t.environment))],
    since: window.since.getTime(),
    until: window.until.getTime(),
  };
  // The scope's services × environments may hold pairs nobody asked for.
  const wanted = new Set(targets.map(targetKey));
  const read = (db: Kysely<Tables>) =>
    Promise.all([
      deploymentRows(db, scope, 'ended'),
      deploymentRows(db, scope, 'active'),
      alertRows(db, scope),
    ]);
  const [ended, active, alerts] =
    ctx.dialect.kind === 'postgres'
      ? await ctx.db.transaction().execute(async (trx) => {
          // The lookups per row make Postgres estimate the first query as costly enough to
          // JIT-compile it: over 90 days of 1,000,000 deployments, 0.8 s of compiling for 0.35 s
          // of work. SQLite reads without a transaction: its transactions take the write lock.
          await sql`set local jit = off`.execute(trx);
          return read(trx);
        })
      : await read(ctx.db);
  return {
    // By id: a row is in one part or the other, but a transition between the two reads may
    // show it in both.
    deployments: [...new Map([...ended, ...active].map((row) => [row.id, row])).values()]
      .filter((row) => wanted.has(targetKey(row)))
      .map(toDoraDeployment),
    alerts: alerts.filter((row) => wanted.has(targetKey(row))).map(toDoraAlert),
  };
}

function targetKey(t: DoraTarget): string {
  return JSON.stringify([t.service, t.environment]);
}

const FAILED: readonly DeploymentState[] = ['failed', 'rolled_back'];
const FAILING: readonly DeploymentState[] = ['failed', 'rolling_back'];

type Deployments = ExpressionBuilder<Tables & { d: Tables['deployments'] }, 'd'>;

function deploymentRows(db: Kysely<Tables>, scope: Scope, part: 'ended' | 'active') {
  let query = db
    .selectFrom('deployments as d')
    .select(['d.id', 'd.service', 'd.environment', 'd.version', 'd.kind', 'd.state'])
    .select(['d.created_at', 'd.started_at', 'd.finished_at'])
    .select((eb) => [
      failedAt(eb).as('failed_at'),
      wentLive(
        eb,
        versionFacts(eb).select((v) => v.fn.min('v.committed_at').as('at')),
      ).as('committed_at'),
      wentLive(
        eb,
        versionFacts(eb)
          // Written out, not bound: only then can SQLite use the partial index of build
          // deployments (deployments_version_built).
          .where('v.idempotency_key', 'like', sql.lit('build:%'))
          // Of an expression, not the column: SQLite would read min(created_at) off
          // deployments_service_created, walking the service's deployments from the oldest
          // until one of this version turns up (10 s for 200 rows at 1,000,000 deployments),
          // where the version's index finds its few at once.
          .select((v) => v.fn.min(sql<number>`+${sql.ref('v.created_at')}`).as('at')),
      ).as('reported_at'),
      wentLive(eb, eb.exists(liveBefore(eb))).as('live_before'),
    ])
    .where('d.service', 'in', scope.services)
    .where('d.environment', 'in', scope.environments)
    .where('d.started_at', '<', scope.until);
  query =
    part === 'ended'
      ? query.where('d.finished_at', '>=', scope.since)
      : // Written out, not bound: only then can SQLite use the partial index on active states
        // (deployments_one_active_per_target); bound, it reads every row of the environment.
        query.where(
          'd.state',
          'in',
          ACTIVE_STATES.map((state) => sql.lit(state)),
        );
  return query.execute();
}

/** Its first transition to failed or rolling back, for a deployment that ended failed. */
function failedAt(eb: Deployments) {
  return eb
    .case()
    .when('d.state', 'in', FAILED)
    .then(
      eb
        .selectFrom('transitions as t')
        .select((t) => t.fn.min('t.at').as('at'))
        .whereRef('t.deployment_id', '=', 'd.id')
        .where('t.to_state', 'in', FAILING)
        .$asScalar(),
    )
    .end();
}

/** Only a deploy that went live has a lead time; the lookups are skipped for the others. */
function wentLive<T>(eb: Deployments, value: Expression<T>) {
  return eb
    .case()
    .when(eb.and([eb('d.state', '=', 'succeeded'), eb('d.kind', '=', 'deploy')]))
    .then(value)
    .end();
}

/** The deployments of the same service and version, on any environment. */
function versionFacts(eb: Deployments) {
  return eb
    .selectFrom('deployments as v')
    .whereRef('v.service', '=', 'd.service')
    .whereRef('v.version', '=', 'd.version');
}

function liveBefore(eb: Deployments) {
  return versionFacts(eb)
    .select(sql.lit(1).as('one'))
    .whereRef('v.environment', '=', 'd.environment')
    .where('v.state', '=', 'succeeded')
    .whereRef('v.finished_at', '<', 'd.finished_at');
}

function alertRows(db: Kysely<Tables>, scope: Scope) {
  return db
    .selectFrom('alert_groups as g')
    .innerJoin('deployments as d', 'd.id', 'g.deployment_id')
    .select(['d.service', 'd.environment', 'g.deployment_id', 'g.state', 'g.created_at'])
    .where('d.service', 'in', scope.services)
    .where('d.environment', 'in', scope.environments)
    .where('d.started_at', '<', scope.until)
    .where('d.finished_at', '>=', scope.since)
    .execute();
}

type DeploymentRow = Awaited<ReturnType<typeof deploymentRows>>[number];
type AlertRow = Awaited<ReturnType<typeof alertRows>>[number];

/** Postgres answers BIGINT and aggregates as text, a boolean as a boolean; SQLite numbers. */
function toDoraDeployment(row: DeploymentRow): DoraDeployment {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    version: row.version,
    kind: row.kind as DeploymentKind,
    state: row.state as DeploymentState,
    requestedAt: toDate(row.created_at),
    startedAt: toDateOrNull(row.started_at),
    finishedAt: toDateOrNull(row.finished_at),
    failedAt: toDateOrNull(row.failed_at as number | string | null),
    committedAt: toDateOrNull(row.committed_at as number | string | null),
    reportedAt: toDateOrNull(row.reported_at as number | string | null),
    liveBefore: isTrue(row.live_before),
  };
}

function isTrue(value: SqlBool | null): boolean {
  return value === true || Number(value) === 1;
}

/**
 * An alert group episode as the metrics see it: fired when its first alert started (the row's
 * creation when no alert is readable), resolved when its last alert ended once all of them are.
 */
function toDoraAlert(row: AlertRow): DoraAlert {
  const state = GroupState.safeParse(JSON.parse(row.state));
  const created = toDate(row.created_at);
  if (!state.success)
    return { deploymentId: row.deployment_id as string, firedAt: created, resolvedAt: null };
  const starts = state.data.alerts.map((a) => Date.parse(a.startsAt)).filter(Number.isFinite);
  return {
    deploymentId: row.deployment_id as string,
    firedAt: starts.length > 0 ? new Date(Math.min(...starts)) : created,
    resolvedAt: isResolved(state.data) ? lastEnd(state.data) : null,
  };
}
