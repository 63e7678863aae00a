import { type Kysely, sql, type Transaction } from 'kysely';
import { ACTIVE_STATES, type Deployment, type DeploymentState } from '../core/deployment.js';
import { WithdrawnError } from '../core/errors.js';
import { writeGroupInOneStatement } from './accept-postgres.js';
import type { StoreContext } from './context.js';
import {
  appendTransition,
  liveOnTarget,
  nextTransitionSeq,
  selectByKey,
  transitionRow,
} from './deployments.js';
import { literalLimit } from './limit.js';
import { preparedInsert, preparedQuery } from './prepared.js';
import { newDeploymentRow, toDeployment } from './rows.js';
import type { DeploymentsTable, Tables } from './tables.js';
import type {
  AcceptedRecord,
  AcceptSteps,
  NewDeployment,
  RecordGate,
  TransitionMeta,
} from './types.js';

/**
 * Requests written in one transaction at most; the rest wait for the next one. Every request
 * waits for its whole group, and a request in a transaction being written can no longer be
 * taken back (its chat acknowledgement may then have to go out before it is recorded), so a
 * group must stay short. SQLite runs the statements synchronously in microseconds each; on
 * Postgres a group is one statement (accept-postgres.ts), but when that fails each request is
 * written again in a savepoint, five round trips each, which a busy event loop stretches.
 */
const MAX_GROUP = { sqlite: 64, postgres: 32 } as const;

interface Waiting {
  deployment: NewDeployment;
  steps: AcceptSteps;
  resolve: (record: AcceptedRecord) => void;
  reject: (err: unknown) => void;
  gate: RecordGate | undefined;
}

export interface AcceptWriter {
  accept(deployment: NewDeployment, steps: AcceptSteps, gate?: RecordGate): Promise<AcceptedRecord>;
}

/**
 * Group commit for accepted requests: those that arrive while a transaction is being written
 * wait for it to end and then go together in the next one, each in a savepoint of its own (one
 * request's failure undoes only its own rows). A commit is the costly part of a write: an fsync
 * on Postgres, a WAL append on SQLite, and on SQLite the writer lock, which every other write
 * waits for. One a request cost a stream of accepted /deploy commands about as much as all their
 * other work together; one for all the requests handled meanwhile costs little more than one.
 * An idle server writes a request at once (next tick). Each caller is answered only once the
 * transaction holding its rows has committed.
 */
export function createAcceptWriter(ctx: StoreContext): AcceptWriter {
  const waiting: Waiting[] = [];
  let writing = false;

  function kick(): void {
    if (writing || waiting.length === 0) return;
    writing = true;
    const group: Waiting[] = [];
    const max = MAX_GROUP[ctx.dialect.kind];
    // Postgres writes a group in one statement, which cannot supersede a request of its own
    // group: a second request for a target waits for the next group, keeping its place.
    const onePerTarget = ctx.dialect.kind === 'postgres';
    const targets = new Set<string>();
    for (let i = 0; group.length < max && i < waiting.length; ) {
      const next = waiting[i] as Waiting;
      const target = targetOf(next);
      if (onePerTarget && targets.has(target)) {
        i++;
        continue;
      }
      waiting.splice(i, 1);
      // Taken back while it waited: its caller has been told nothing was done.
      if (next.gate && !next.gate.begin()) {
        next.reject(new WithdrawnError('the request was withdrawn before it was recorded'));
        continue;
      }
      targets.add(target);
      group.push(next);
    }
    if (group.length === 0) {
      writing = false;
      return;
    }
    // In target order: each request locks its target's waiting rows (to supersede them), so
    // two replicas' groups taking the same targets in different orders could deadlock on
    // Postgres, which would fail a request in each. One order for all makes that impossible.
    group.sort(byTarget);
    write(group).finally(() => {
      writing = false;
      kick();
    });
  }

  async function write(group: Waiting[]): Promise<void> {
    if (ctx.dialect.kind === 'postgres' && (await writeInOneStatement(group))) return;
    await writeInSavepoints(group);
  }

  /** False when the statement failed: nothing of it was written, and no caller was answered. */
  async function writeInOneStatement(group: Waiting[]): Promise<boolean> {
    const members = group.map(({ deployment, steps }) => {
      const at = steps.requested.at ?? ctx.now();
      const row = newDeploymentRow(deployment, steps.next.to, at);
      row.updated_at = (steps.next.meta.at ?? at).getTime();
      return { row, steps, requestedAt: at.getTime() };
    });
    let written: Awaited<ReturnType<typeof writeGroupInOneStatement>>;
    try {
      written = await writeGroupInOneStatement(ctx.db, members);
    } catch (err) {
      ctx.log?.warn({ err }, 'could not write a group of accepted requests at once; writing each');
      return false;
    }
    for (const w of group) {
      const outcome = written.get(w.deployment.id);
      if (outcome?.kind === 'written') {
        w.resolve(outcome.record);
        continue;
      }
      // Its idempotency key was used (by an earlier request, or one committed meanwhile).
      const key = w.deployment.idempotencyKey;
      try {
        const holder = key === null ? undefined : await selectByKey(ctx.db, key);
        if (!holder)
          throw new Error(`accept: ${w.deployment.id} was not written and nothing holds its key`);
        w.resolve(existing(toDeployment(holder)));
      } catch (err) {
        w.reject(err);
      }
    }
    return true;
  }

  async function writeInSavepoints(group: Waiting[]): Promise<void> {
    const [only] = group;
    if (only && group.length === 1) return writeAlone(only);
    const outcomes: Array<{ ok: true; record: AcceptedRecord } | { ok: false; err: unknown }> = [];
    try {
      await ctx.db.transaction().execute(async (trx) => {
        outcomes.length = 0;
        for (const [i, w] of group.entries()) outcomes.push(await inSavepoint(ctx, trx, i, w));
      });
    } catch (err) {
      for (const w of group) w.reject(err);
      return;
    }
    for (const [i, w] of group.entries()) {
      const outcome = outcomes[i];
      if (outcome?.ok) w.resolve(outcome.record);
      else w.reject(outcome ? outcome.err : new Error('accept: no outcome recorded'));
    }
  }

  /**
   * A request alone in its transaction needs no savepoint: its failure rolls the transaction
   * back whole. Two statements fewer, on the path of every request that finds the store idle.
   */
  async function writeAlone(w: Waiting): Promise<void> {
    let record: AcceptedRecord;
    try {
      record = await ctx.db
        .transaction()
        .execute((trx) => acceptOne(ctx, trx, w.deployment, w.steps));
    } catch (err) {
      try {
        const winner = await keyHolder(ctx, ctx.db, w, err);
        if (winner) w.resolve(existing(toDeployment(winner)));
        else w.reject(err);
      } catch (lookup) {
        w.reject(lookup);
      }
      return;
    }
    w.resolve(record);
  }

  return {
    accept(deployment, steps, gate) {
      return new Promise((resolve, reject) => {
        waiting.push({ deployment, steps, resolve, reject, gate });
        if (!writing) setImmediate(kick);
        gate?.waiting();
      });
    },
  };
}

function targetOf(w: Waiting): string {
  return `${w.deployment.service}\u0000${w.deployment.environment}`;
}

function byTarget(a: Waiting, b: Waiting): number {
  const x = targetOf(a);
  const y = targetOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

async function inSavepoint(
  ctx: StoreContext,
  trx: Transaction<Tables>,
  i: number,
  w: Waiting,
): Promise<{ ok: true; record: AcceptedRecord } | { ok: false; err: unknown }> {
  const name = sql.raw(`accept_${i}`);
  await sql`savepoint ${name}`.execute(trx);
  try {
    const record = await acceptOne(ctx, trx, w.deployment, w.steps);
    await sql`release savepoint ${name}`.execute(trx);
    return { ok: true, record };
  } catch (err) {
    await sql`rollback to savepoint ${name}`.execute(trx);
    await sql`release savepoint ${name}`.execute(trx);
    const winner = await keyHolder(ctx, trx, w, err);
    if (winner) return { ok: true, record: existing(toDeployment(winner)) };
    return { ok: false, err };
  }
}

/** The request holding `w`'s key, when `err` says another one with it committed first. */
async function keyHolder(
  ctx: StoreContext,
  db: Kysely<Tables>,
  w: Waiting,
  err: unknown,
): Promise<DeploymentsTable | undefined> {
  const key = w.deployment.idempotencyKey;
  if (ctx.dialect.violation(err) !== 'unique' || key === null) return undefined;
  return selectByKey(db, key);
}

function existing(deployment: Deployment): AcceptedRecord {
  return { deployment, created: false, requested: null, superseded: [], claimed: null };
}

/** One request's rows: created, moved on, and the target's older waiting requests superseded. */
async function acceptOne(
  ctx: StoreContext,
  trx: Transaction<Tables>,
  deployment: NewDeployment,
  steps: AcceptSteps,
): Promise<AcceptedRecord> {
  // A used key is found by the insert's unique violation (inSavepoint, writeAlone): the engine
  // looked it up before policy already, and a second lookup here would cost every request a
  // statement (a round trip on Postgres) for the rare repeat sent at the same moment.
  const at = steps.requested.at ?? ctx.now();
  const nextAt = steps.next.meta.at ?? at;
  const start = await startNow(ctx, trx, deployment, steps);
  // Written in the state it moves on to (or, started, in `running`): the row is never seen
  // `requested` outside this transaction, and one insert costs the table's indexes once where an
  // insert and an update cost them twice. Every transition is in the history.
  const moved = {
    ...newDeploymentRow(deployment, steps.next.to, at),
    updated_at: nextAt.getTime(),
  };
  const row = start ? startedRow(moved, start) : moved;
  await insertDeployment(trx, row);
  const first = [
    row.id,
    row.correlation_id,
    steps.requested.actor,
    at.getTime(),
    steps.requested.reason ?? null,
    moved.state,
    steps.next.meta.actor,
    nextAt.getTime(),
    steps.next.meta.reason ?? null,
  ] as const;
  if (start)
    await insertStartedTransitions(
      trx,
      ...first,
      start.meta.actor,
      start.at.getTime(),
      start.meta.reason ?? null,
    );
  else await insertFirstTransitions(trx, ...first);
  const requested = toDeployment({ ...moved, state: 'requested', updated_at: at.getTime() });
  const superseded = steps.supersede ? await supersede(ctx, trx, row, steps.supersede, nextAt) : [];
  return {
    deployment: toDeployment(moved),
    created: true,
    requested,
    superseded,
    claimed: start ? toDeployment(row) : null,
  };
}

interface Start {
  owner: string;
  leaseMs: number;
  meta: TransitionMeta;
  at: Date;
  /** What is live on the target as the run starts: what a failure goes back to. */
  previousVersion: string | null;
}

/**
 * Whether the request starts in its own transaction (AcceptSteps.claim), and on what. On SQLite
 * the transaction runs alone, so what it reads here is what a claim just after it would read:
 * the target is free or it is not, and what is live cannot change before the run starts. A
 * mark on the version would stop a claimed run only if it came after the request; here nothing
 * can come between the two.
 */
async function startNow(
  ctx: StoreContext,
  trx: Transaction<Tables>,
  deployment: NewDeployment,
  steps: AcceptSteps,
): Promise<Start | null> {
  const claim = steps.claim;
  if (!claim || ctx.dialect.kind !== 'sqlite' || steps.next.to !== 'queued') return null;
  const [target] = await startingPoint(trx, deployment.service, deployment.environment);
  if (!target || target.busy !== null) return null;
  const at = claim.meta.at ?? steps.next.meta.at ?? steps.requested.at ?? ctx.now();
  return { ...claim, at, previousVersion: target.live };
}

/** The row as a claim leaves it: running, leased to the claimant. */
function startedRow(row: DeploymentsTable, start: Start): DeploymentsTable {
  const at = start.at.getTime();
  return {
    ...row,
    state: 'running',
    previous_version: start.previousVersion,
    lease_owner: start.owner,
    lease_expires_at: at + start.leaseMs,
    started_at: at,
    updated_at: at,
  };
}

/** Whether anything is active on the target, and the version live there, in one statement. */
const startingPoint = preparedQuery((db, service: string, environment: string) =>
  db.selectNoFrom([
    onTargetIn(db, service, environment, ACTIVE_STATES)
      .select('id')
      .limit(literalLimit(1))
      .as('busy'),
    liveOnTarget(db, service, environment).select('version').as('live'),
  ]),
);

/** Older requests of the target still waiting (created before `newer`) end as superseded. */
async function supersede(
  ctx: StoreContext,
  trx: Transaction<Tables>,
  newer: DeploymentsTable,
  how: NonNullable<AcceptSteps['supersede']>,
  at: Date,
): Promise<AcceptedRecord['superseded']> {
  if (how.from.length === 0) return [];
  if (ctx.dialect.kind === 'postgres') return supersedeInOneStatement(trx, newer, how, at);
  // SQLite: the transaction holds the write lock, so no other writer can move these rows.
  const waiting = await olderWaiting(how.from)(trx, newer.service, newer.environment);
  const older = waiting.filter(
    (row) =>
      row.id !== newer.id &&
      (row.created_at < newer.created_at ||
        (row.created_at === newer.created_at && row.id < newer.id)),
  );
  const out: AcceptedRecord['superseded'] = [];
  for (const { id, state } of older) {
    const [row] = await supersedeRow(trx, how.outcome, at.getTime(), id, state);
    if (!row) continue;
    await appendTransition(trx, row, state, how.meta, at);
    out.push({ deployment: toDeployment(row), from: state as DeploymentState });
  }
  return out;
}

/**
 * Postgres: the target's older waiting requests locked, moved to superseded and given their
 * transitions in one statement, one round trip where the steps take one and two a row.
 */
async function supersedeInOneStatement(
  trx: Transaction<Tables>,
  newer: DeploymentsTable,
  how: NonNullable<AcceptSteps['supersede']>,
  at: Date,
): Promise<AcceptedRecord['superseded']> {
  const states = sql.join(how.from.map((state) => sql.lit(state)));
  const when = at.getTime();
  const { rows } = await sql<DeploymentsTable & { from_state: string }>`
    with older as (
      select id, state from deployments
      where service = ${newer.service} and environment = ${newer.environment}
        and state in (${states}) and id <> ${newer.id}
        and (created_at < ${newer.created_at}
          or (created_at = ${newer.created_at} and id < ${newer.id}))
      order by created_at, id
      for update
    ), moved as (
      update deployments d set state = 'superseded', outcome = ${how.outcome},
        finished_at = ${when}, updated_at = ${when}
      from older where d.id = older.id and d.state = older.state
      returning d.*, older.state as from_state
    ), written as (
      insert into transitions
        (deployment_id, seq, from_state, to_state, actor, at, reason, correlation_id)
      select m.id,
        ${nextTransitionSeq(sql.ref('m.id'))},
        m.from_state, m.state, ${how.meta.actor}, ${when}, ${how.meta.reason ?? null},
        m.correlation_id
      from moved m
    )
    select * from moved order by created_at, id`.execute(trx);
  return rows.map(({ from_state, ...row }) => ({
    deployment: toDeployment(row),
    from: from_state as DeploymentState,
  }));
}

// The statements every accepted request runs, compiled once (prepared.ts).
const insertDeployment = preparedInsert('deployments');

const olderWaitingByStates = new Map<string, ReturnType<typeof olderWaitingIn>>();

/** The target's requests in `states`, compiled once per list of states. */
export function olderWaiting(states: readonly DeploymentState[]) {
  const key = states.join(',');
  let query = olderWaitingByStates.get(key);
  if (!query) {
    query = olderWaitingIn(states);
    olderWaitingByStates.set(key, query);
  }
  return query;
}

function olderWaitingIn(states: readonly DeploymentState[]) {
  // No condition on created_at: SQLite then reads the target's waiting rows from the index by
  // state (deployments_live), a few entries. With "created before", it walked the target's whole
  // history by creation time instead, every superseded request of it, at every request.
  return preparedQuery((db, service: string, environment: string) =>
    onTargetIn(db, service, environment, states).select(['id', 'state', 'created_at']),
  );
}

/**
 * A target's deployments in `states`, written into the SQL as literals: SQLite picks the index
 * by target and state only when it can read them.
 */
function onTargetIn(
  db: Kysely<Tables>,
  service: string,
  environment: string,
  states: readonly DeploymentState[],
) {
  return db
    .selectFrom('deployments')
    .where('service', '=', service)
    .where('environment', '=', environment)
    .where(
      'state',
      'in',
      states.map((state) => sql.lit(state)),
    );
}

/** What a request's first two transitions take: its ids, then who, when and why for each. */
type FirstTransitions = [
  id: string,
  correlationId: string,
  requestedBy: string,
  requestedAt: number,
  requestedReason: string | null,
  to: string,
  movedBy: string,
  movedAt: number,
  movedReason: string | null,
];

function firstTwo(
  ...[
    id,
    correlationId,
    requestedBy,
    requestedAt,
    requestedReason,
    to,
    movedBy,
    movedAt,
    movedReason,
  ]: FirstTransitions
) {
  return [
    transitionRow(
      id,
      correlationId,
      1,
      null,
      'requested',
      requestedBy,
      requestedAt,
      requestedReason,
    ),
    transitionRow(id, correlationId, 2, 'requested', to, movedBy, movedAt, movedReason),
  ];
}

/** A request's first two transitions, requested and its move on, in one statement. */
const insertFirstTransitions = preparedQuery((db, ...first: FirstTransitions) =>
  db.insertInto('transitions').values(firstTwo(...first)),
);

/** The same, and the claim that started it in the same transaction (AcceptSteps.claim). */
const insertStartedTransitions = preparedQuery(
  (
    db,
    ...args: [
      ...FirstTransitions,
      startedBy: string,
      startedAt: number,
      startedReason: string | null,
    ]
  ) => {
    const first = args.slice(0, 9) as FirstTransitions;
    const [id, correlationId, , , , to] = first;
    const [startedBy, startedAt, startedReason] = args.slice(9) as [string, number, string | null];
    return db
      .insertInto('transitions')
      .values([
        ...firstTwo(...first),
        transitionRow(id, correlationId, 3, to, 'running', startedBy, startedAt, startedReason),
      ]);
  },
);

const supersedeRow = preparedQuery((db, outcome: string, at: number, id: string, state: string) =>
  db
    .updateTable('deployments')
    .set({ state: 'superseded', outcome, finished_at: at, updated_at: at })
    .where('id', '=', id)
    .where('state', '=', state)
    .returningAll(),
);
