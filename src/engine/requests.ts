import type { Span } from '@opentelemetry/api';
import { validateVersion } from '../commands/version.js';
import {
  driverBinding,
  environmentsInOrder,
  findEnvironment,
  findService,
} from '../config/index.js';
import type { BuildRef, Deployment, DeploymentKind, RequestSource } from '../core/deployment.js';
import { ACTIVE_STATES } from '../core/deployment.js';
import { newCorrelationId, newDeploymentId } from '../core/ids.js';
import { suggest } from '../core/suggest.js';
import { deploymentAttributes, inSpan, traceParentOf } from '../observability/tracing.js';
import { decide } from '../policy/decide.js';
import { activeFreeze } from '../policy/freeze.js';
import { type EngineDeps, type Refusal, refuse } from './context.js';
import { describeDeployment } from './describe.js';
import { PENDING_STATES } from './state-machine.js';

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
  kind: DeploymentKind;
  /** `deploy!`: override a freeze window. */
  force?: boolean;
  reason?: string | null;
  /** A repeated request with the same key returns the first deployment, never a second one. */
  idempotencyKey?: string | null;
  correlationId?: string;
}

export type DeployAccepted = {
  ok: true;
  deployment: Deployment;
  /** True when the idempotency key matched an earlier request: nothing new was created. */
  duplicate: boolean;
  notes: string[];
};

/**
 * Checks a request (names, policy, busy target), records it and puts it in the queue. The
 * `engine.request` span's context is stored with the deployment, so its run joins this trace.
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
    const result = await checkAndRecord(deps, request);
    if (result.ok)
      span.setAttributes({
        ...deploymentAttributes(result.deployment),
        'slipway.duplicate': result.duplicate,
      });
    else span.setAttribute('slipway.refusal', result.code);
    return result;
  });
}

async function checkAndRecord(
  deps: EngineDeps,
  request: DeployRequest,
): Promise<DeployAccepted | Refusal> {
  const { config, store } = deps;
  if (request.idempotencyKey) {
    const existing = await store.findByIdempotencyKey(request.idempotencyKey);
    if (existing) return { ok: true, deployment: existing, duplicate: true, notes: [] };
  }
  const service = findService(config, request.service);
  if (!service) {
    const names = config.services.map((s) => s.name);
    const near = suggest(request.service, names);
    return refuse(
      'unknown_service',
      `There is no service called "${request.service}". Known services: ${names.join(', ')}.`,
      near ? `Did you mean ${near}?` : null,
    );
  }
  const environmentName =
    request.environment ?? defaultEnvironment(deps, service.name, request.kind);
  if (!environmentName) {
    return refuse(
      'environment_required',
      `Say which environment: ${request.kind} ${service.name} ${request.kind === 'rollback' ? 'in' : 'to'} <environment>.`,
    );
  }
  const environment = findEnvironment(config, environmentName);
  if (!environment) {
    const names = config.environments.map((e) => e.name);
    const near = suggest(environmentName, names);
    return refuse(
      'unknown_environment',
      `There is no environment called "${environmentName}". Known environments: ${names.join(', ')}.`,
      near ? `Did you mean ${near}?` : null,
    );
  }
  const binding = driverBinding(config, service.name, environment.name);
  if (!binding) {
    return refuse(
      'not_deployable_here',
      `${service.name} is not set up to deploy to ${environment.name}: add it under services → ${service.name} → environments in slipway.yaml.`,
    );
  }
  const now = deps.now?.() ?? new Date();
  const locks = await store.listLocks(environment.name, now);
  const decision = inSpan(
    'policy.decide',
    { attributes: { 'slipway.action': request.kind } },
    (span) => {
      const decided = decide(config, {
        actor: request.actor,
        channel: request.channel,
        source: request.source,
        action: request.kind,
        service: service.name,
        environment: environment.name,
        force: request.force ?? false,
        locks,
        now,
      });
      span.setAttribute('slipway.policy.allowed', decided.allowed);
      if (!decided.allowed) span.setAttribute('slipway.policy.code', decided.code);
      return decided;
    },
  );
  if (!decision.allowed) return refuse(decision.code, decision.reason);

  const version = await resolveVersion(deps, request, service.name, environment.name);
  if (typeof version !== 'string') return version;
  const refProblem = request.ref ? validateVersion(request.ref.name) : null;
  if (refProblem)
    return refuse('invalid_ref', `The ${request.ref?.type} name is refused. ${refProblem}`);

  if (environment.whenBusy === 'reject') {
    const busy = await store.listDeployments({
      service: service.name,
      environment: environment.name,
      states: [...ACTIVE_STATES, ...PENDING_STATES],
      limit: 1,
    });
    const first = busy[0];
    if (first) {
      return refuse(
        'busy',
        `${service.name} in ${environment.name} is busy: ${describeDeployment(first)}. ${environment.name} refuses requests while busy; try again when it is done.`,
      );
    }
  }

  const live = await store.lastSucceeded(service.name, environment.name);
  const approvalsRequired = request.kind === 'deploy' ? environment.approvals.required : 0;
  const { deployment, created } = await store.createDeployment(
    {
      id: newDeploymentId(),
      service: service.name,
      environment: environment.name,
      version,
      previousVersion: live?.version ?? null,
      ref: request.ref ?? null,
      kind: request.kind,
      requestedBy: request.actor,
      source: request.source,
      channel: request.channel,
      reason: request.reason ?? null,
      correlationId: request.correlationId ?? newCorrelationId(),
      idempotencyKey: request.idempotencyKey ?? null,
      freezeOverride: (request.force ?? false) && activeFreeze(environment, now) !== null,
      approvalsRequired,
      driver: binding.driver,
      traceParent: traceParentOf(),
    },
    'requested',
    { actor: request.actor, reason: request.reason ?? null, at: now },
  );
  if (!created) return { ok: true, deployment, duplicate: true, notes: [] };
  emitTransition(deps, deployment, null, request.actor, request.reason ?? null);

  const next = approvalsRequired > 0 ? 'awaiting_approval' : 'queued';
  const why =
    next === 'awaiting_approval'
      ? `needs ${approvalsRequired} approval${approvalsRequired > 1 ? 's' : ''}`
      : [...decision.notes].join('; ') || null;
  const moved = await store.transition(deployment.id, ['requested'], next, {
    actor: 'slipway',
    reason: why,
  });
  if (!moved)
    throw new Error(`deployment ${deployment.id} changed state while it was being queued`);
  emitTransition(deps, moved, 'requested', 'slipway', why);
  await supersedeOlder(deps, moved);
  return { ok: true, deployment: moved, duplicate: false, notes: decision.notes };
}

/** A newer request for a target makes older ones that have not started moot. */
async function supersedeOlder(deps: EngineDeps, newer: Deployment): Promise<void> {
  const pending = await deps.store.listDeployments({
    service: newer.service,
    environment: newer.environment,
    states: [...PENDING_STATES],
    limit: 500,
  });
  for (const older of pending) {
    const isOlder =
      older.createdAt < newer.createdAt ||
      (older.createdAt.getTime() === newer.createdAt.getTime() && older.id < newer.id);
    if (older.id === newer.id || !isOlder) continue;
    const reason = `superseded by ${newer.id} (${newer.version}, requested by ${newer.requestedBy})`;
    const moved = await deps.store.transition(
      older.id,
      PENDING_STATES,
      'superseded',
      {
        actor: 'slipway',
        reason,
      },
      { outcome: reason, finishedAt: new Date() },
    );
    if (moved) emitTransition(deps, moved, older.state, 'slipway', reason);
  }
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

async function resolveVersion(
  deps: EngineDeps,
  request: DeployRequest,
  service: string,
  environment: string,
): Promise<string | Refusal> {
  if (request.version !== null) {
    const problem = validateVersion(request.version);
    return problem ? refuse('invalid_version', problem) : request.version;
  }
  if (request.kind === 'deploy') {
    return refuse(
      'version_required',
      `Say which version to deploy: deploy ${service} <version> to ${environment}.`,
    );
  }
  const succeeded = await deps.store.listDeployments({
    service,
    environment,
    states: ['succeeded'],
    limit: 100,
  });
  const live = succeeded[0];
  const earlier = succeeded.find((d) => live && d.version !== live.version);
  if (!live || !earlier) {
    return refuse(
      'nothing_to_roll_back',
      `There is no earlier version of ${service} in ${environment} to roll back to. Name one: rollback ${service} in ${environment} to <version>.`,
    );
  }
  return earlier.version;
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
