import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { CanaryStep } from '../analysis/plan.js';
import { driverBinding, findEnvironment, findService } from '../config/lookup.js';
import type { Deployment, DeploymentState } from '../core/deployment.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { sleep } from '../core/sleep.js';
import type {
  DeployDriver,
  DriverCapabilities,
  DriverContext,
  DriverHandle,
  DriverLink,
  DriverOutcome,
} from '../drivers/types.js';
import {
  contextOfTraceParent,
  deploymentAttributes,
  inSpan,
  withDeployment,
} from '../observability/spans.js';
import { markedSinceRequested, markGoingBack, markTakenOff } from './bad-versions.js';
import { type CanaryEnd, canaryProgressOf, walkCanary } from './canary.js';
import { clockOf, type EngineDeps } from './context.js';
import { deliveryPlanOf } from './delivery.js';
import { emitTransition } from './requests.js';
import { type VerifyEnd, verifyByMetrics } from './verification.js';

/** How often a canary waiting at a step looks for people's signals (pause, resume, promote). */
const CANARY_POLL_MS = 1_000;

/**
 * Handles of the work started for a deployment, one per phase; stored as `driverRef`. `url` is
 * where the deployed version can be tried, when the driver said so (see `previewUrl`); `note`
 * what the driver left people to know about the target (shown on the card).
 */
type Handles = {
  deploy?: DriverHandle;
  rollback?: DriverHandle;
  url?: string;
  link?: DriverLink;
  note?: string;
};

interface Run {
  deps: EngineDeps;
  /** Aborted when this process lets the deployment go (lease lost, shutdown). */
  lease: AbortSignal;
  /** Aborted when someone cancels the deployment while it runs. */
  cancelled: AbortSignal;
  driver: DeployDriver<unknown>;
  ctx: DriverContext<unknown>;
  log: Logger;
  verifyWindowMs: number;
  autoRollback: boolean;
  flushProgress: () => Promise<void>;
  /**
   * Started in its request's transaction (AcceptSteps.claim): what is live was read there, and
   * no mark on its version can have come after the request. Read again only on a later start.
   */
  startedOnAccept: boolean;
}

/**
 * Drives one claimed deployment from wherever it stands (running, verifying, rolling_back) to a
 * final state. Called again after a restart, it re-attaches to the driver's work (drivers start
 * idempotently per deployment and phase), so nothing runs twice. Returns without a transition
 * only when `signal` aborts: the deployment then stays active for whoever holds it next.
 *
 * The run is a span in the trace of the request that created the deployment (its stored
 * traceparent), whichever process claims it and however long after: one trace per deployment.
 * `startedOnAccept`: claimed in its request's own transaction (Run.startedOnAccept).
 */
export function runDeployment(
  deps: EngineDeps,
  claimed: Deployment,
  signal: AbortSignal,
  cancelled: AbortSignal = new AbortController().signal,
  startedOnAccept = false,
): Promise<Deployment | null> {
  const parent = withDeployment(contextOfTraceParent(claimed.traceParent), claimed);
  const attributes = {
    ...deploymentAttributes(claimed),
    'slipway.driver': claimed.driver,
    'slipway.process_id': deps.processId,
    // `running` when just claimed; a later state when resumed after its process stopped.
    'slipway.resumed_from': claimed.state,
  };
  return inSpan('deployment.run', { parent, attributes }, async (span) => {
    const final = await runClaimed(deps, claimed, signal, cancelled, startedOnAccept);
    span.setAttribute('slipway.outcome', final?.state ?? 'handed_back');
    if (final?.state === 'failed' || final?.state === 'rolled_back')
      span.setStatus({ code: SpanStatusCode.ERROR, message: final.outcome ?? final.state });
    return final;
  });
}

async function runClaimed(
  deps: EngineDeps,
  claimed: Deployment,
  signal: AbortSignal,
  cancelled: AbortSignal,
  startedOnAccept: boolean,
): Promise<Deployment | null> {
  const log = deps.log.child({ deployment: claimed.id, correlationId: claimed.correlationId });
  const prepared = prepare(deps, claimed, { lease: signal, cancelled }, log, startedOnAccept);
  if (typeof prepared === 'string') return finish(deps, claimed, 'failed', prepared);
  try {
    let current = claimed;
    if (current.state === 'running' && !started(current) && !startedOnAccept) {
      const stop = await markedSinceRequested(deps, current);
      if (stop) return finish(deps, current, 'failed', stop, ['running']);
    }
    if (current.state === 'running') {
      const next = await runPhase(
        prepared,
        current,
        current.kind === 'rollback' ? 'rollback' : 'deploy',
      );
      if (!next) return null;
      current = next;
    }
    if (current.state === 'verifying') {
      const next = await verify(prepared, current);
      if (!next) return null;
      current = next;
    }
    if (current.state === 'rolling_back') {
      const next = await rollBack(prepared, current);
      if (!next) return null;
      current = next;
    }
    return current;
  } finally {
    await prepared.flushProgress();
  }
}

/** The driver was asked to act for this deployment already (a resumed run). */
function started(d: Deployment): boolean {
  const handles = (d.driverRef ?? {}) as Handles;
  return Boolean(handles.deploy || handles.rollback) || canaryProgressOf(d) !== null;
}

function prepare(
  deps: EngineDeps,
  d: Deployment,
  signals: { lease: AbortSignal; cancelled: AbortSignal },
  log: Logger,
  startedOnAccept: boolean,
): Run | string {
  const binding = driverBinding(deps.config, d.service, d.environment);
  const environment = findEnvironment(deps.config, d.environment);
  const driver = deps.drivers.get(d.driver);
  if (!binding || !environment)
    return `${d.service} is no longer configured for ${d.environment}; nothing was changed.`;
  if (!driver) return `Driver "${d.driver}" is not available in this Slipway; nothing was changed.`;
  const options = parsedOptions(deps, d, driver, binding.options);
  if (!options.success)
    return `The ${d.driver} options for ${d.service} in ${d.environment} are invalid: ${options.error.message}`;
  const progress = throttledProgress(deps, d, log);
  // Until a deployment is rolling back, a cancel stops what the driver is doing; the rollback
  // itself runs to its end.
  const signal =
    d.state === 'rolling_back'
      ? signals.lease
      : AbortSignal.any([signals.lease, signals.cancelled]);
  return {
    deps,
    ...signals,
    driver,
    log,
    verifyWindowMs: parseDuration(environment.verifyWindow) ?? 30_000,
    autoRollback: environment.autoRollback,
    flushProgress: progress.flush,
    startedOnAccept,
    ctx: {
      deployment: d,
      image: findService(deps.config, d.service)?.image ?? null,
      options: options.data,
      log,
      signal,
      progress: progress.report,
    },
  };
}

type ParsedOptions = ReturnType<DeployDriver<unknown>['optionsSchema']['safeParse']>;

// Per config object: engines built on different configs (tests, several in one process) keep
// their own.
const optionsByConfig = new WeakMap<object, Map<string, ParsedOptions>>();

/**
 * The driver's options for the deployment's target, parsed once per config and driver: a target
 * parses the same way every time, and a run's start parsing them afresh cost about a quarter of
 * a millisecond on the way to the driver's first call. Drivers only read their options, so runs
 * can share them.
 */
function parsedOptions(
  deps: EngineDeps,
  d: Deployment,
  driver: DeployDriver<unknown>,
  raw: unknown,
): ParsedOptions {
  let cache = optionsByConfig.get(deps.config);
  if (!cache) {
    cache = new Map();
    optionsByConfig.set(deps.config, cache);
  }
  const key = `${d.service}\u0000${d.environment}\u0000${driver.id}`;
  let parsed = cache.get(key);
  if (!parsed) {
    parsed = driver.optionsSchema.safeParse(raw);
    cache.set(key, parsed);
  }
  return parsed;
}

/** Starts (or re-attaches to) the deploy or rollback work and waits for its outcome. */
async function runPhase(
  run: Run,
  claimed: Deployment,
  phase: 'deploy' | 'rollback',
): Promise<Deployment | null> {
  const { deps, driver, ctx } = run;
  let d = claimed;
  const handles = (d.driverRef ?? {}) as Handles;
  const canary = phase === 'deploy' ? deliveryPlanOf(deps, d).canary : null;
  if (canary) return runCanary(run, d, canary.steps);
  let handle = handles[phase];
  let outcome: DriverOutcome;
  try {
    if (!handle) {
      d = await readLiveVersion(run, d);
      ctx.deployment = d;
      if (phase === 'rollback') await markTakenOff(deps, d);
      const rollback = driver.rollback?.bind(driver);
      if (phase === 'rollback' && rollback)
        handle = await driverCall(run, 'rollback', () => rollback(ctx, d.version));
      else handle = await driverCall(run, 'deploy', () => driver.deploy(ctx));
      await deps.store.patchDeployment(d.id, { driverRef: { ...handles, [phase]: handle } });
    }
    outcome = await watch(run, handle);
  } catch (err) {
    if (ctx.signal.aborted) return stopped(run, d, handle);
    run.log.error({ err }, 'driver failed');
    outcome = {
      ok: false,
      reason: `${driver.id} driver error: ${errorText(err)}`,
      changed: handles[phase] !== undefined,
    };
  }
  if (ctx.signal.aborted) return stopped(run, d, handle);
  if (outcome.ok) {
    const found = {
      ...(outcome.url ? { url: outcome.url } : {}),
      ...(outcome.link ? { link: outcome.link } : {}),
      ...(outcome.note ? { note: outcome.note } : {}),
    };
    return move(deps, d, ['running'], 'verifying', `${driver.id}: ${outcome.summary}`, {
      progress: outcome.summary,
      ...(Object.keys(found).length > 0
        ? { driverRef: { ...handles, [phase]: handle, ...found } }
        : {}),
    });
  }
  return fail(run, d, ['running'], outcome.reason, outcome.changed);
}

/**
 * A canary instead of the driver's own rollout (engine/canary.ts). An abort by its metrics goes
 * the way of any failure, to rolling_back, where removing the canary is the rollback.
 */
async function runCanary(
  run: Run,
  claimed: Deployment,
  steps: CanaryStep[],
): Promise<Deployment | null> {
  const { deps, driver, ctx } = run;
  const control = driver.canary;
  if (!control || !capabilitiesOf(run).canary) {
    return fail(
      run,
      claimed,
      ['running'],
      `the ${driver.id} driver cannot split traffic for ${claimed.service} in ${claimed.environment}, so it cannot run a canary; use strategy: rolling there, or a driver and router that can`,
      false,
    );
  }
  let d = claimed;
  if (!canaryProgressOf(d)) {
    d = await readLiveVersion(run, d);
    ctx.deployment = d;
  }
  let end: CanaryEnd;
  try {
    end = await walkCanary({ deps, control, ctx, pollMs: CANARY_POLL_MS }, d, steps);
  } catch (err) {
    if (ctx.signal.aborted) return stopped(run, d, undefined);
    run.log.error({ err }, 'canary failed');
    const now = (await deps.store.getDeployment(d.id)) ?? d;
    return fail(run, now, ['running'], `${driver.id} canary error: ${errorText(err)}`, true);
  }
  switch (end.kind) {
    case 'stopped':
      return stopped(run, (await deps.store.getDeployment(d.id)) ?? d, undefined);
    case 'failed':
      return fail(run, end.deployment, ['running'], end.reason, end.changed);
    case 'aborted':
      return move(deps, end.deployment, ['running'], 'rolling_back', end.reason, {
        outcome: end.reason,
      });
    case 'promoted':
      return move(deps, end.deployment, ['running'], 'verifying', `${driver.id}: ${end.summary}`, {
        progress: end.summary,
      });
  }
}

/**
 * What is live on the target just before this deployment changes it, which is what a failure
 * rolls back to. Read now rather than at request time: a deployment that waited in the queue
 * or for approval must not undo the releases that ran meanwhile.
 */
async function readLiveVersion({ deps, startedOnAccept }: Run, d: Deployment): Promise<Deployment> {
  if (startedOnAccept) return d;
  const live = await deps.store.lastSucceeded(d.service, d.environment);
  const version = live?.version ?? null;
  if (version === d.previousVersion) return d;
  await deps.store.patchDeployment(d.id, { previousVersion: version });
  return { ...d, previousVersion: version };
}

/** Waits until the driver says the target is healthy on the new version, or the window ends. */
async function verify(run: Run, d: Deployment): Promise<Deployment | null> {
  const { driver, ctx } = run;
  if (!driver.status || !capabilitiesOf(run).status) {
    return healthy(run, d, d.progress ?? `${driver.id} reported success`);
  }
  const statusOf = driver.status.bind(driver);
  const deadline = Date.now() + run.verifyWindowMs;
  const pause = Math.max(200, Math.min(2_000, run.verifyWindowMs / 10));
  let last = 'no status yet';
  for (;;) {
    if (ctx.signal.aborted) return stopped(run, d, undefined);
    try {
      const status = await driverCall(run, 'status', async (span) => {
        const found = await statusOf(ctx);
        span.setAttributes({
          'slipway.healthy': found.healthy,
          'slipway.live_version': found.version ?? '',
        });
        return found;
      });
      last = status.detail;
      const expected = d.version;
      if (status.healthy && (status.version === null || status.version === expected)) {
        return healthy(
          run,
          d,
          `${d.version} is live and healthy${status.detail ? `: ${status.detail}` : ''}`,
        );
      }
      if (status.version !== null && status.version !== expected)
        last = `live version is ${status.version}, expected ${expected}`;
    } catch (err) {
      last = `status check failed: ${errorText(err)}`;
    }
    if (Date.now() >= deadline) break;
    await sleep(pause, ctx.signal);
  }
  if (ctx.signal.aborted) return stopped(run, d, undefined);
  return fail(
    run,
    d,
    ['verifying'],
    `not healthy within ${formatDuration(run.verifyWindowMs)}: ${last}`,
    true,
  );
}

/**
 * The rollout is done and healthy: the deployment succeeds, unless its metrics are to be
 * checked first (`verify`), whose failure rolls it back like any other.
 */
async function healthy(run: Run, d: Deployment, reason: string): Promise<Deployment | null> {
  const verify = deliveryPlanOf(run.deps, d).verify;
  if (!verify) return move(run.deps, d, ['verifying'], 'succeeded', reason);
  let end: VerifyEnd;
  try {
    end = await verifyByMetrics(run.deps, d, verify, run.ctx.signal, CANARY_POLL_MS);
  } catch (err) {
    if (run.ctx.signal.aborted) return stopped(run, d, undefined);
    throw err;
  }
  switch (end.kind) {
    case 'stopped':
      return stopped(run, (await run.deps.store.getDeployment(d.id)) ?? d, undefined);
    case 'failed':
      return fail(run, end.deployment, ['verifying'], end.reason, true);
    case 'passed':
      return move(run.deps, end.deployment, ['verifying'], 'succeeded', `${reason}; ${end.reason}`);
  }
}

/**
 * The run's signal fired. Lost lease or shutdown: leave the deployment to whoever holds it
 * next. Cancelled: whoever cancelled it has moved it to rolling_back already (written before
 * anything is stopped); stop the driver's work, and go on with the rollback.
 */
async function stopped(
  run: Run,
  d: Deployment,
  handle: DriverHandle | undefined,
): Promise<Deployment | null> {
  if (run.lease.aborted || !run.cancelled.aborted) return null;
  run.ctx.signal = run.lease;
  const cancel = run.driver.cancel?.bind(run.driver);
  if (handle && cancel) {
    try {
      await cancel(run.ctx, handle);
    } catch (err) {
      run.log.warn({ err }, 'driver could not cancel; rolling back anyway');
    }
  }
  const now = await run.deps.store.getDeployment(d.id);
  if (now?.state !== 'rolling_back') return null;
  run.log.info({ reason: now.outcome }, 'deployment cancelled while running; rolling back');
  return now;
}

/** A failure rolls back when it may have changed the target and rolling back is possible. */
async function fail(
  run: Run,
  d: Deployment,
  from: DeploymentState[],
  reason: string,
  changed: boolean,
): Promise<Deployment | null> {
  const canRollBack =
    d.kind === 'deploy' &&
    changed &&
    run.autoRollback &&
    (d.previousVersion !== null || capabilitiesOf(run).rollbackToPrevious);
  if (!canRollBack) {
    const why =
      changed && d.kind === 'deploy' && run.autoRollback
        ? `${reason} (no earlier version known to roll back to)`
        : reason;
    return finish(run.deps, d, 'failed', why, from);
  }
  const target = d.previousVersion ? ` to ${d.previousVersion}` : '';
  return move(run.deps, d, from, 'rolling_back', `${reason}; rolling back${target}`, {
    outcome: reason,
  });
}

async function rollBack(run: Run, d: Deployment): Promise<Deployment | null> {
  const { deps, driver, ctx } = run;
  const handles = (d.driverRef ?? {}) as Handles;
  const failure = d.outcome ?? 'the deployment failed';
  const canary = canaryProgressOf(d);
  if (canary && !canary.promoting && driver.canary) {
    await markGoingBack(deps, d);
    return removeCanary(run, d, failure);
  }
  let outcome: DriverOutcome;
  let handle = handles.rollback;
  try {
    if (!handle && d.previousVersion === null && !capabilitiesOf(run).rollbackToPrevious) {
      // A cancelled first deployment: nothing Slipway knows of was live before it.
      return finish(
        deps,
        d,
        'failed',
        `${failure}; nothing was live before it, so there is nothing to roll back to: check ${d.service} in ${d.environment} by hand`,
        ['rolling_back'],
      );
    }
    await markGoingBack(deps, d);
    if (!handle) {
      if (!driver.rollback)
        throw new Error('this driver cannot roll back; restore the previous version by hand');
      ctx.deployment = d;
      const rollback = driver.rollback.bind(driver);
      handle = await driverCall(run, 'rollback', () => rollback(ctx, d.previousVersion));
      await deps.store.patchDeployment(d.id, { driverRef: { ...handles, rollback: handle } });
    }
    outcome = await watch(run, handle);
  } catch (err) {
    if (ctx.signal.aborted) return null;
    outcome = { ok: false, reason: errorText(err), changed: true };
  }
  if (ctx.signal.aborted) return null;
  const to = d.previousVersion ?? 'the previous revision';
  // A canary stopped while being promoted: the live target is back on the previous version,
  // but the canary may still take traffic; it goes too, or the new version would keep serving.
  const leftover = outcome.ok && canary?.promoting ? await removeLeftoverCanary(run) : '';
  if (outcome.ok) {
    const note = outcome.note
      ? { driverRef: { ...handles, rollback: handle, note: outcome.note } }
      : {};
    return move(
      deps,
      d,
      ['rolling_back'],
      'rolled_back',
      `rolled back to ${to} after: ${failure}${leftover}`,
      note,
    );
  }
  return finish(
    deps,
    d,
    'failed',
    `${failure}; the rollback to ${to} failed too: ${outcome.reason}`,
    ['rolling_back'],
  );
}

/** Removes what a half-promoted canary left; says so when it could not. */
async function removeLeftoverCanary(run: Run): Promise<string> {
  try {
    await run.driver.canary?.abort(run.ctx);
    return '';
  } catch (err) {
    run.log.warn({ err }, 'could not remove the canary after rolling back');
    return `; the canary could not be removed (${errorText(err)}): check its traffic by hand`;
  }
}

/**
 * Going back from a canary that was not promoted: its traffic goes to the live version and the
 * canary is removed; the live version was never touched, so there is nothing else to undo.
 */
async function removeCanary(run: Run, d: Deployment, failure: string): Promise<Deployment | null> {
  const { deps, ctx } = run;
  ctx.deployment = d;
  try {
    await run.driver.canary?.abort(ctx);
  } catch (err) {
    if (ctx.signal.aborted) return null;
    return finish(
      deps,
      d,
      'failed',
      `${failure}; removing the canary failed: ${errorText(err)}: check ${d.service} in ${d.environment} by hand`,
      ['rolling_back'],
    );
  }
  if (ctx.signal.aborted) return null;
  const live = d.previousVersion ? ` stays on ${d.previousVersion}` : ' keeps what it ran';
  return finish(
    deps,
    d,
    'rolled_back',
    `${failure}; the canary was removed and ${d.service} in ${d.environment}${live}`,
    ['rolling_back'],
  );
}

async function move(
  deps: EngineDeps,
  d: Deployment,
  from: DeploymentState[],
  to: DeploymentState,
  reason: string,
  patch: Parameters<EngineDeps['store']['transition']>[4] = {},
): Promise<Deployment | null> {
  const final = to === 'succeeded' || to === 'failed' || to === 'rolled_back';
  const moved = await deps.store.transition(
    d.id,
    from,
    to,
    { actor: 'slipway', reason },
    {
      ...patch,
      ...(final
        ? { outcome: reason, finishedAt: clockOf(deps), leaseOwner: null, leaseExpiresAt: null }
        : {}),
    },
  );
  if (!moved) {
    deps.log.warn(
      { deployment: d.id, correlationId: d.correlationId, to },
      'deployment moved elsewhere; leaving it',
    );
    return null;
  }
  trace.getActiveSpan()?.addEvent('transition', {
    'slipway.from': d.state,
    'slipway.to': to,
    'slipway.reason': reason,
  });
  emitTransition(deps, moved, d.state, 'slipway', reason);
  return moved;
}

function finish(
  deps: EngineDeps,
  d: Deployment,
  to: 'failed' | 'rolled_back' | 'succeeded',
  reason: string,
  from: DeploymentState[] = [d.state],
) {
  return move(deps, d, from, to, reason);
}

/** Stores and announces progress at most once a second per deployment; the last one always lands. */
function throttledProgress(deps: EngineDeps, d: Deployment, log: Logger) {
  let latest: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let lastWrite = 0;
  const write = async () => {
    timer = null;
    if (latest === null) return;
    const text = latest;
    latest = null;
    lastWrite = Date.now();
    try {
      await deps.store.patchDeployment(d.id, { progress: text });
      deps.events.emit({ type: 'progress', deployment: { ...d, progress: text }, text });
    } catch (err) {
      log.warn({ err }, 'could not record progress');
    }
  };
  return {
    report(text: string) {
      latest = text.slice(0, 500);
      if (!timer) timer = setTimeout(write, Math.max(0, 1_000 - (Date.now() - lastWrite)));
    },
    async flush() {
      if (timer) clearTimeout(timer);
      await write();
    },
  };
}

/** One call to the driver, as a span of the run (`driver.deploy`, `driver.status`, …). */
function driverCall<T>(
  run: Run,
  call: 'deploy' | 'watch' | 'status' | 'rollback',
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const attributes = { 'slipway.driver': run.driver.id };
  return inSpan(`driver.${call}`, { kind: SpanKind.CLIENT, attributes }, fn);
}

/** Waits for the outcome of the driver's work; a failed outcome marks its span failed. */
function watch(run: Run, handle: DriverHandle): Promise<DriverOutcome> {
  return driverCall(run, 'watch', async (span) => {
    const outcome = await run.driver.watch(run.ctx, handle);
    span.setAttribute('slipway.ok', outcome.ok);
    if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
    return outcome;
  });
}

function capabilitiesOf(run: Run): DriverCapabilities {
  return (
    run.driver.capabilities?.(run.ctx.options) ?? {
      status: run.driver.status !== undefined,
      rollbackToPrevious: run.driver.rollback !== undefined,
    }
  );
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
