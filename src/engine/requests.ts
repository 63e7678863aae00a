import type { Span } from '@opentelemetry/api';
import { validateVersion } from '../commands/version.js';
import {
  driverBinding,
  environmentsInOrder,
  findEnvironment,
  findService,
} from '../config/lookup.js';
import type { Environment } from '../config/schema.js';
import type { BuildRef, Deployment, DeploymentKind, RequestSource } from '../core/deployment.js';
import { ACTIVE_STATES } from '../core/deployment.js';
import { newCorrelationId, newDeploymentId } from '../core/ids.js';
import { deploymentAttributes, inSpan, traceParentOf } from '../observability/spans.js';
import { approvalsFor } from '../policy/change.js';
import { decide } from '../policy/decide.js';
import { activeFreeze } from '../policy/freeze.js';
import type { RecordGate } from '../store/types.js';
import { clearOverridden, markedVersions, markOf } from './bad-versions.js';
import { clockOf, type EngineDeps, type Refusal, refuse } from './context.js';
import { describeDeployment } from './describe.js';
import { type RefusalSubject, refuseAndRecord } from './refusals.js';
import { PENDING_STATES } from './state-machine.js';
import { surpriseOf } from './surprises.js';

export interface DeployRequest {
  actor: string;
  source: RequestSource;
  channel: string | null;
  service: string;
  /** Null: the first environment of the service's promotion chain (deploys only). */
  environment: string | null;
  /** Null for a rollback: the version before the one live now. */
  version: string | null;
  /** The branch or tag the version was built from, when CI said (previews are named after it). */
  ref?: BuildRef | null;
  /** When the version's commit was made, when CI said (the build hook): DORA's lead time. */
  committedAt?: Date | null;
  /** The commit the version was built from, when CI said (the build hook): GitHub deploys it. */
  commit?: string | null;
  kind: DeploymentKind;
  /** A deploy that repeats a failed one; decided as a deploy, recorded as its own action. */
  retryOf?: string | null;
  /** `deploy!`: override a freeze window, or deploy a version a rollback took off the target. */
  force?: boolean;
  /**
   * Allowed requests the asker probably did not mean (surprises.ts) come back unrecorded as
   * `unconfirmed`, for the front end to ask about; asked again without it, they go ahead.
   */
  askFirst?: boolean;
  reason?: string | null;
  /** A repeated request with the same key returns the first deployment, never a second one. */
  idempotencyKey?: string | null;
  correlationId?: string;
  /**
   * Lets the asker take the request back until its record's transaction starts (it then
   * rejects with WithdrawnError), and tells it when the request waits for that transaction: a
   * chat handler frees its slot then, so the requests arriving meanwhile share the transaction.
   */
  gate?: RecordGate;
}

export type DeployAccepted = {
  ok: true;
  deployment: Deployment;
  /** True when the idempotency key matched an earlier request: nothing new was created. */
  duplicate: boolean;
  notes: string[];
};

/**
 * A request with its names and version worked out: what the driver will do (`kind`) and which
 * policy rule judges it (`action`). A rollback to a version other than the previous one puts
 * on the target something that was not just there, so it is judged as a deploy, and one to a
 * version never live there is a deploy outright.
 */
interface Resolved {
  ok: true;
  request: DeployRequest;
  service: string;
  environment: string | null;
  version: string | null;
  kind: DeploymentKind;
  action: 'deploy' | 'rollback' | 'retry';
  notes: string[];
}

/**
 * The one pipeline for every change to a target, from every entry point: resolve (names,
 * versions, what is live now) → decide (policy) → busy → record. A refusal at any step is
 * written to the audit trail. The `engine.request` span's context is stored with the
 * deployment, so its run joins this trace.
 */
export function requestDeployment(
  deps: EngineDeps,
  request: DeployRequest,
): Promise<DeployAccepted | Refusal> {
  const attributes = {
    'slipway.service': request.service,
    'slipway.environment': request.environment ?? '',
    'slipway.kind': request.kind,
    'slipway.source': request.source,
    'enduser.id': request.actor,
  };
  return inSpan('engine.request', { attributes }, async (span: Span) => {
    const result = await pipeline(deps, request);
    if (result.ok)
      span.setAttributes({
        ...deploymentAttributes(result.deployment),
        'slipway.duplicate': result.duplicate,
      });
    else span.setAttribute('slipway.refusal', result.code);
    return result;
  });
}

async function pipeline(
  deps: EngineDeps,
  request: DeployRequest,
): Promise<DeployAccepted | Refusal> {
  if (request.idempotencyKey) {
    const existing = await deps.store.findByIdempotencyKey(request.idempotencyKey);
    if (existing) return { ok: true, deployment: existing, duplicate: true, notes: [] };
  }
  const now = clockOf(deps);
  const resolved = await resolveRequest(deps, request);
  const audit = auditOf(request, resolved);
  if (!resolved.ok) return refuseAndRecord(deps, audit, resolved, now);
  const known = findEnvironment(deps.config, resolved.environment ?? '');
  const live = liveOnce(deps, resolved.service, known?.name ?? '');
  // On Postgres each read is a round trip, and the time from here to the record is time the
  // request waits before it can be claimed: what is live is read beside policy's reads, not
  // after them. On SQLite a read is microseconds of CPU, not worth spending on a refusal.
  if (known && deps.store.kind === 'postgres') live().catch(() => {});
  const { decision, mark } = await decideRequest(deps, resolved, now);
  if (!decision.allowed)
    return refuseAndRecord(
      deps,
      audit,
      refuse(decision.code, decision.reason, decision.suggestion),
      now,
    );
  const environment = findEnvironment(deps.config, resolved.environment ?? '');
  const binding = driverBinding(deps.config, resolved.service, resolved.environment ?? '');
  if (!environment || !binding)
    throw new Error(`policy allowed an unresolved request for ${resolved.service}`);
  const checked = checkVersionAndRef(resolved) ?? (await checkBusy(deps, resolved, environment));
  if (checked) return refuseAndRecord(deps, audit, checked, now);
  // Asked only once policy allowed it: a question to someone who would be refused anyway
  // would be a question for nothing.
  const surprise = request.askFirst ? await surpriseIn(deps, resolved, environment, live) : null;
  if (surprise) return surprise;
  const accepted = await record(deps, resolved, {
    live,
    environment,
    driver: binding.driver,
    notes: [...resolved.notes, ...decision.notes],
    now,
  });
  // Policy lets a marked version through only for a deploy! with a reason: it clears the mark.
  if (mark && !accepted.duplicate) await clearOverridden(deps, mark, accepted.deployment);
  return accepted;
}

/** What is live on the target, read once for the surprise check and the record. */
function liveOnce(
  deps: EngineDeps,
  service: string,
  environment: string,
): () => Promise<Deployment | null> {
  let read: Promise<Deployment | null> | undefined;
  return () => {
    read ??= deps.store.lastSucceeded(service, environment);
    return read;
  };
}

async function surpriseIn(
  deps: EngineDeps,
  { request, service }: Resolved,
  environment: Environment,
  live: () => Promise<Deployment | null>,
): Promise<Refusal | null> {
  const surprise = await surpriseOf(deps, {
    kind: request.kind,
    service,
    environment: environment.name,
    version: request.version,
    live,
  });
  if (!surprise) return null;
  const reason =
    surprise.kind === 'live_again'
      ? `${service} ${surprise.version} is already live in ${environment.name}.`
      : `${service} ${surprise.version} was never live in ${environment.name}.`;
  return { ...refuse('unconfirmed', reason), surprise };
}

/** Fills in what the request left to Slipway: the environment, and a rollback's version. */
async function resolveRequest(
  deps: EngineDeps,
  request: DeployRequest,
): Promise<Resolved | Refusal> {
  const service = findService(deps.config, request.service);
  const environment =
    request.environment ?? (service ? defaultEnvironment(deps, service.name, request.kind) : null);
  const base: Resolved = {
    ok: true,
    request,
    service: request.service,
    environment,
    version: request.version,
    kind: request.kind,
    action: request.retryOf ? 'retry' : request.kind,
    notes: [],
  };
  // Unknown names are policy's to refuse, with the names it knows.
  const known = service && environment && findEnvironment(deps.config, environment);
  if (!known || request.kind !== 'rollback') return base;
  return resolveRollback(deps, base, service.name, environment);
}

/**
 * What a rollback puts back, read from the environment's history now: the previous version
 * (the one live before the live one), unless a version was named. Only the previous version
 * is a rollback under the environment's rollback rule.
 */
async function resolveRollback(
  deps: EngineDeps,
  base: Resolved,
  service: string,
  environment: string,
): Promise<Resolved | Refusal> {
  const succeeded = await deps.store.listDeployments({
    service,
    environment,
    states: ['succeeded'],
    limit: 500,
  });
  const live = succeeded[0] ?? null;
  // A version a rollback took off the target is no place to go back to.
  const bad = await markedVersions(deps, service, environment);
  const previous =
    succeeded.find((d) => live && d.version !== live.version && !bad.has(d.version)) ?? null;
  const named = base.version;
  if (named === null) {
    if (!previous) {
      return refuse(
        'nothing_to_roll_back',
        `There is no earlier version of ${service} in ${environment} to roll back to. Name one: rollback ${service} in ${environment} to <version>.`,
      );
    }
    return { ...base, version: previous.version };
  }
  if (previous && named === previous.version) return base;
  if (succeeded.some((d) => d.version === named)) {
    const why = live
      ? `${named} is not the version before ${live.version}`
      : `${named} is not the previous version`;
    return {
      ...base,
      action: 'deploy',
      notes: [`${why}, so going back to it follows the rules for a deploy.`],
    };
  }
  return {
    ...base,
    kind: 'deploy',
    action: 'deploy',
    notes: [`${named} was never live in ${environment}, so this is a deploy of it.`],
  };
}

/**
 * Policy, with what it needs brought from the store: the locks, the mark on the version if a
 * rollback took it off the target, and the time. A store that cannot read them fails the
 * request: policy never decides without them.
 */
async function decideRequest(deps: EngineDeps, resolved: Resolved, now: Date) {
  const { request } = resolved;
  const known = resolved.environment && findEnvironment(deps.config, resolved.environment);
  // Side by side: on Postgres each is a round trip, and a command holds its handling slot
  // while it waits for them.
  const [locks, mark] = known
    ? await Promise.all([
        deps.store.listLocks(known.name, now),
        markOf(deps, { ...resolved, environment: known.name }),
      ])
    : [[], null];
  const decision = inSpan(
    'policy.decide',
    { attributes: { 'slipway.action': resolved.action } },
    (span) => {
      const decided = decide(deps.config, {
        actor: request.actor,
        channel: request.channel,
        source: request.source,
        action: resolved.action,
        service: resolved.service,
        environment: resolved.environment,
        version: resolved.version,
        force: request.force ?? false,
        reason: request.reason ?? null,
        locks,
        badVersion: mark,
        now,
      });
      span.setAttribute('slipway.policy.allowed', decided.allowed);
      if (!decided.allowed) span.setAttribute('slipway.policy.code', decided.code);
      return decided;
    },
  );
  return { decision, mark };
}

function checkVersionAndRef({ request, version, service, environment }: Resolved): Refusal | null {
  if (version === null) {
    return refuse(
      'version_required',
      `Say which version to deploy: deploy ${service} <version> to ${environment}.`,
    );
  }
  const problem = validateVersion(version);
  if (problem) return refuse('invalid_version', problem);
  const refProblem = request.ref ? validateVersion(request.ref.name) : null;
  if (refProblem)
    return refuse('invalid_ref', `The ${request.ref?.type} name is refused. ${refProblem}`);
  return null;
}

async function checkBusy(
  deps: EngineDeps,
  { service }: Resolved,
  environment: Environment,
): Promise<Refusal | null> {
  if (environment.whenBusy !== 'reject') return null;
  const busy = await deps.store.listDeployments({
    service,
    environment: environment.name,
    states: [...ACTIVE_STATES, ...PENDING_STATES],
    limit: 1,
  });
  const first = busy[0];
  if (!first) return null;
  return refuse(
    'busy',
    `${service} in ${environment.name} is busy: ${describeDeployment(first)}. ${environment.name} refuses requests while busy; try again when it is done.`,
  );
}

/** Writes the accepted request and moves it on: to approval, or to the queue. */
async function record(
  deps: EngineDeps,
  resolved: Resolved,
  decided: {
    live: () => Promise<Deployment | null>;
    environment: Environment;
    driver: string;
    notes: string[];
    now: Date;
  },
): Promise<DeployAccepted> {
  const { request } = resolved;
  const { environment, now } = decided;
  const approvalsRequired = approvalsFor(
    environment,
    resolved.action === 'rollback' ? 'rollback' : 'deploy',
  );
  // The live version is read again when the deployment starts running: what is live then is
  // what a failure goes back to. This one is what the people approving it see meanwhile.
  const live = await decided.live();
  const reason = request.reason ?? null;
  const next = approvalsRequired > 0 ? 'awaiting_approval' : 'queued';
  const why =
    next === 'awaiting_approval'
      ? `needs ${approvalsRequired} approval${approvalsRequired > 1 ? 's' : ''}`
      : decided.notes.join('; ') || null;
  const id = newDeploymentId();
  // A request that may run at once is started in its own transaction when its target is free:
  // the claim, its transaction and the reads a run makes first would otherwise stand between
  // the answer and the driver's first call.
  const slot = next === 'queued' ? (deps.reserveStart?.() ?? null) : null;
  // One transaction, shared with the requests recorded at the same moment (group commit): the
  // request, its move on, and the end of the older ones it makes moot. Answered once committed.
  const written = await deps.store
    .acceptDeployment(
      {
        id,
        service: resolved.service,
        environment: environment.name,
        version: resolved.version as string,
        previousVersion: live?.version ?? null,
        ref: request.ref ?? null,
        committedAt: request.committedAt ?? null,
        commit: request.commit ?? null,
        kind: resolved.kind,
        requestedBy: request.actor,
        source: request.source,
        channel: request.channel,
        reason,
        correlationId: request.correlationId ?? newCorrelationId(),
        idempotencyKey: request.idempotencyKey ?? null,
        freezeOverride: (request.force ?? false) && activeFreeze(environment, now) !== null,
        approvalsRequired,
        driver: decided.driver,
        traceParent: traceParentOf(),
      },
      {
        requested: { actor: request.actor, reason, at: now },
        next: { to: next, meta: { actor: 'slipway', reason: why } },
        // A newer request for a target makes older ones that have not started moot.
        supersede: {
          from: PENDING_STATES,
          meta: { actor: 'slipway', reason: supersededBy(id, resolved, request.actor) },
          outcome: supersededBy(id, resolved, request.actor),
        },
        claim: slot?.claim ?? null,
      },
      request.gate,
    )
    .catch((err: unknown) => {
      slot?.release();
      throw err;
    });
  const { claimed } = written;
  // Running here before anyone hears of it: the worker, told that a request was queued, then
  // knows its target is busy and does not look for it.
  if (claimed) slot?.started(claimed);
  else slot?.release();
  if (!written.created || !written.requested)
    return { ok: true, deployment: written.deployment, duplicate: true, notes: [] };
  emitTransition(deps, written.requested, null, request.actor, reason);
  emitTransition(deps, written.deployment, 'requested', 'slipway', why);
  for (const { deployment, from } of written.superseded)
    emitTransition(deps, deployment, from, 'slipway', deployment.outcome);
  if (claimed) emitTransition(deps, claimed, 'queued', 'slipway', null);
  return {
    ok: true,
    deployment: claimed ?? written.deployment,
    duplicate: false,
    notes: decided.notes,
  };
}

function supersededBy(id: string, resolved: Resolved, actor: string): string {
  return `superseded by ${id} (${resolved.version}, requested by ${actor})`;
}

function auditOf(request: DeployRequest, resolved: Resolved | Refusal): RefusalSubject {
  const r = resolved.ok ? resolved : null;
  const action = r?.action ?? (request.retryOf ? 'retry' : request.kind);
  return {
    actor: request.actor,
    source: request.source,
    channel: request.channel,
    action: request.force ? `${action}!` : action,
    service: request.service,
    environment: r?.environment ?? request.environment,
    version: r?.version ?? request.version,
    deploymentId: request.retryOf ?? null,
    correlationId: request.correlationId ?? null,
  };
}

function defaultEnvironment(
  deps: EngineDeps,
  service: string,
  kind: DeploymentKind,
): string | null {
  const deployable = environmentsInOrder(deps.config).filter((env) =>
    driverBinding(deps.config, service, env.name),
  );
  // A rollback without a named environment is only unambiguous when there is one.
  if (kind === 'rollback') return deployable.length === 1 ? (deployable[0]?.name ?? null) : null;
  return deployable[0]?.name ?? null;
}

export function emitTransition(
  deps: EngineDeps,
  deployment: Deployment,
  from: Deployment['state'] | null,
  actor: string,
  reason: string | null,
): void {
  deps.events.emit({
    type: 'transition',
    deployment,
    transition: { from, to: deployment.state, actor, reason },
  });
}
