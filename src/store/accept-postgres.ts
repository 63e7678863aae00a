import { type Kysely, sql } from 'kysely';
import type { DeploymentState } from '../core/deployment.js';
import { nextTransitionSeq } from './deployments.js';
import { toDeployment } from './rows.js';
import type { DeploymentsTable, Tables } from './tables.js';
import type { AcceptedRecord, AcceptSteps } from './types.js';

/** One request of a group, as the statement writes it. */
export interface GroupMember {
  /** The new deployment's row, in the state it moves on to. */
  row: DeploymentsTable;
  steps: AcceptSteps;
  /** When its first transition happened (`requested`), epoch ms. */
  requestedAt: number;
}

/**
 * What the statement wrote for a member: its record, or `keyUsed` when its idempotency key was
 * already taken (the caller reads the deployment that holds it).
 */
export type GroupOutcome = { kind: 'written'; record: AcceptedRecord } | { kind: 'keyUsed' };

/** A row the statement returns: a member inserted (`new`), or an older request it superseded. */
type GroupRow = DeploymentsTable & {
  written: 'new' | 'old';
  from_state: string | null;
  by_id: string | null;
};

/**
 * Postgres: a whole group of accepted requests written by one statement, in one round trip and
 * one implicit transaction, where the savepoint path costs five round trips a request and two
 * for the transaction. On a busy replica each round trip waits for the event loop as well as
 * the server, so the group's requests (and every request queued behind it) waited for about
 * forty of them before their acknowledgement.
 *
 * The members must be of distinct targets: the statement sees the table as it was when it
 * began, so a request could not supersede another of the same group. A used idempotency key
 * skips its member (ON CONFLICT DO NOTHING) instead of failing the group. Any other error fails
 * the whole statement, and nothing of it is written: the caller then writes the group the slow
 * way, where each request's failure is its own.
 *
 * The older waiting requests a member supersedes are locked in target order, as the savepoint
 * path locks them, so that two replicas' groups cannot deadlock on each other's targets.
 */
export async function writeGroupInOneStatement(
  db: Kysely<Tables>,
  members: GroupMember[],
): Promise<Map<string, GroupOutcome>> {
  const first = members[0];
  if (!first) return new Map();
  const columns = Object.keys(first.row) as Array<keyof DeploymentsTable>;
  const list = sql.join(columns.map((c) => sql.ref(c)));
  const input = sql.join(columns.map((c) => sql.ref(`input.${c}`)));
  const requests = members.map(({ row, steps, requestedAt }) => ({
    id: row.id,
    requested_by: steps.requested.actor,
    requested_at: requestedAt,
    requested_reason: steps.requested.reason ?? null,
    moved_by: steps.next.meta.actor,
    moved_at: row.updated_at,
    moved_reason: steps.next.meta.reason ?? null,
    supersede_from: steps.supersede ? [...steps.supersede.from] : [],
    supersede_outcome: steps.supersede?.outcome ?? null,
    supersede_by: steps.supersede?.meta.actor ?? null,
    supersede_at: steps.supersede ? (steps.supersede.meta.at?.getTime() ?? row.updated_at) : null,
    supersede_reason: steps.supersede?.meta.reason ?? null,
  }));
  const { rows } = await sql<GroupRow>`
    with input as (
      select * from json_populate_recordset(null::deployments, ${JSON.stringify(members.map((m) => m.row))}::json)
    ), req as (
      select * from json_to_recordset(${JSON.stringify(requests)}::json) as r(
        id text, requested_by text, requested_at bigint, requested_reason text,
        moved_by text, moved_at bigint, moved_reason text, supersede_from text[],
        supersede_outcome text, supersede_by text, supersede_at bigint, supersede_reason text)
    ), ins as (
      insert into deployments (${list}) select ${input} from input
      on conflict (idempotency_key) do nothing
      returning *
    ), firsts as (
      insert into transitions
        (deployment_id, seq, from_state, to_state, actor, at, reason, correlation_id)
      select i.id, 1, null, 'requested', r.requested_by, r.requested_at, r.requested_reason,
        i.correlation_id
      from ins i join req r on r.id = i.id
      union all
      select i.id, 2, 'requested', i.state, r.moved_by, r.moved_at, r.moved_reason,
        i.correlation_id
      from ins i join req r on r.id = i.id
    ), older as (
      -- The table as the statement began: the rows inserted above are not among them.
      select d.id, d.state, i.id as by_id, r.supersede_outcome, r.supersede_by, r.supersede_at,
        r.supersede_reason
      from ins i join req r on r.id = i.id
      join deployments d on d.service = i.service and d.environment = i.environment
        and d.state = any(r.supersede_from) and d.id <> i.id
        and (d.created_at < i.created_at or (d.created_at = i.created_at and d.id < i.id))
      order by d.service, d.environment, d.created_at, d.id
      for update of d
    ), moved as (
      update deployments d set state = 'superseded', outcome = o.supersede_outcome,
        finished_at = o.supersede_at, updated_at = o.supersede_at
      from older o where d.id = o.id and d.state = o.state
      returning o.state as from_state, o.by_id, d.*
    ), ended as (
      insert into transitions
        (deployment_id, seq, from_state, to_state, actor, at, reason, correlation_id)
      select m.id,
        ${nextTransitionSeq(sql.ref('m.id'))},
        m.from_state, m.state, o.supersede_by, o.supersede_at, o.supersede_reason,
        m.correlation_id
      from moved m join older o on o.id = m.id
    )
    select 'new' as written, null::text as from_state, null::text as by_id, ins.* from ins
    union all
    select 'old', moved.* from moved`.execute(db);
  return outcomes(members, rows);
}

function outcomes(members: GroupMember[], rows: GroupRow[]): Map<string, GroupOutcome> {
  const created = new Map<string, DeploymentsTable>();
  const superseded = new Map<string, Array<{ row: DeploymentsTable; from: DeploymentState }>>();
  for (const { written, from_state, by_id, ...row } of rows) {
    if (written === 'new') created.set(row.id, row);
    else if (by_id !== null)
      superseded.set(by_id, [
        ...(superseded.get(by_id) ?? []),
        { row, from: from_state as DeploymentState },
      ]);
  }
  const out = new Map<string, GroupOutcome>();
  for (const { row, requestedAt } of members) {
    const moved = created.get(row.id);
    if (!moved) {
      out.set(row.id, { kind: 'keyUsed' });
      continue;
    }
    const ended = (superseded.get(row.id) ?? []).sort(
      (a, b) => a.row.created_at - b.row.created_at || (a.row.id < b.row.id ? -1 : 1),
    );
    out.set(row.id, {
      kind: 'written',
      record: {
        deployment: toDeployment(moved),
        created: true,
        requested: toDeployment({ ...moved, state: 'requested', updated_at: requestedAt }),
        superseded: ended.map(({ row: r, from }) => ({ deployment: toDeployment(r), from })),
        claimed: null,
      },
    });
  }
  return out;
}
