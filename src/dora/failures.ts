import type { DeploymentState } from '../core/deployment.js';
import type { DoraAlert, DoraDeployment, DoraFailure, DoraWindow, FailureCause } from './types.js';

/**
 * Which changes failed, and when they were restored, from one target's records. A change is a
 * deploy (not a rollback) that ran on the target and ended within the window; it failed when
 * any of these happened before the window's end, and counts once however many did:
 * - it ended `failed` or `rolled_back` (the engine undid it: it failed, or was cancelled or
 *   aborted while it ran);
 * - a rollback of the target was asked for while it was the version live there;
 * - an Alertmanager alert group was tied to it (the webhook ties alerts to the deploy that
 *   went live at most `alerts.recentDeploy` before them, or to the canary under way).
 */

/**
 * Final states of a deployment that ran: the change was made, or tried and undone. A running
 * deployment that is cancelled (or a canary aborted) rolls back and ends `rolled_back`; only a
 * deployment that never started ends `cancelled` or `superseded`.
 */
export const CHANGE_STATES: readonly DeploymentState[] = ['succeeded', 'failed', 'rolled_back'];
const FAILED_STATES: readonly DeploymentState[] = ['failed', 'rolled_back'];

/** Whether `d` ran on the target and ended inside the window: one change of the window. */
export function isChange(d: DoraDeployment, window: DoraWindow): boolean {
  return (
    d.kind === 'deploy' &&
    CHANGE_STATES.includes(d.state) &&
    d.startedAt !== null &&
    endedWithin(d, window)
  );
}

function endedWithin(d: DoraDeployment, window: DoraWindow): boolean {
  const end = d.finishedAt?.getTime();
  return end !== undefined && end >= window.since.getTime() && end < window.until.getTime();
}

/**
 * What went live on the target before the window's end, in order, with its times as numbers:
 * a report over months asks it thousands of times, so it is searched by halves.
 */
interface Timeline {
  live: DoraDeployment[];
  times: number[];
}

function timeline(target: readonly DoraDeployment[], until: Date): Timeline {
  const live = target
    .filter((d) => d.state === 'succeeded' && d.finishedAt !== null && d.finishedAt < until)
    .sort((a, b) => (a.finishedAt as Date).getTime() - (b.finishedAt as Date).getTime());
  return { live, times: live.map((d) => (d.finishedAt as Date).getTime()) };
}

/** The index of the first deployment that went live after `at`, or the count when none did. */
function firstAfter(line: Timeline, at: number): number {
  let low = 0;
  let high = line.times.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((line.times[mid] as number) > at) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** The deployment live on the target at `at`: the last to go live at or before it. */
function liveAt(line: Timeline, at: Date): DoraDeployment | null {
  return line.live[firstAfter(line, at.getTime()) - 1] ?? null;
}

/** The first deployment other than `d` to go live after `at`. */
function nextLive(line: Timeline, d: DoraDeployment, at: Date): DoraDeployment | null {
  const index = firstAfter(line, at.getTime());
  const next = line.live[index];
  return (next?.id === d.id ? line.live[index + 1] : next) ?? null;
}

interface Signal {
  cause: FailureCause;
  at: Date;
}

/**
 * The failure of each change of one target (`target`: every record of that service and
 * environment, `alerts`: the alert groups tied to them), keyed by deployment id.
 */
export function failuresOf(
  target: readonly DoraDeployment[],
  alerts: readonly DoraAlert[],
  window: DoraWindow,
): Map<string, DoraFailure> {
  const line = timeline(target, window.until);
  const fired = groupFired(alerts, window.until);
  const signals = signalsOf(target, fired, line, window);
  const failures = new Map<string, DoraFailure>();
  for (const d of target) {
    const found = signals.get(d.id);
    if (!found || !isChange(d, window)) continue;
    const at = new Date(Math.min(...found.map((s) => s.at.getTime())));
    failures.set(d.id, {
      deploymentId: d.id,
      version: d.version,
      causes: CAUSES.filter((cause) => found.some((s) => s.cause === cause)),
      at,
      restoredAt: restoredAt(d, at, line, fired.get(d.id) ?? [], window.until),
    });
  }
  return failures;
}

/** The alerts that fired before the window's end, by the deployment they are tied to. */
function groupFired(alerts: readonly DoraAlert[], until: Date): Map<string, DoraAlert[]> {
  const fired = new Map<string, DoraAlert[]>();
  for (const a of alerts) {
    if (a.firedAt < until) fired.set(a.deploymentId, [...(fired.get(a.deploymentId) ?? []), a]);
  }
  return fired;
}

/** Every sign of failure before the window's end, by the deployment it is a sign of. */
function signalsOf(
  target: readonly DoraDeployment[],
  fired: Map<string, DoraAlert[]>,
  line: Timeline,
  window: DoraWindow,
): Map<string, Signal[]> {
  const signals = new Map<string, Signal[]>();
  const add = (id: string, signal: Signal) => {
    const known = signals.get(id);
    if (known) known.push(signal);
    else signals.set(id, [signal]);
  };
  for (const d of target) {
    if (isChange(d, window) && FAILED_STATES.includes(d.state)) {
      add(d.id, { cause: 'failed', at: d.failedAt ?? (d.finishedAt as Date) });
    }
    // A rollback that had not started by the window's end was still only a request.
    if (d.kind === 'rollback' && d.startedAt !== null && d.startedAt < window.until) {
      const blamed = liveAt(line, d.requestedAt);
      if (blamed?.kind === 'deploy') add(blamed.id, { cause: 'rollback', at: d.requestedAt });
    }
  }
  for (const [id, alerts] of fired) {
    for (const a of alerts) add(id, { cause: 'alert', at: a.firedAt });
  }
  return signals;
}

const CAUSES: readonly FailureCause[] = ['failed', 'rollback', 'alert'];

/**
 * When the target was good again after a failure that began `at`: the failed deployment's own
 * rollback ending, the next deployment to go live there, or every alert tied to it resolved,
 * whichever came first before the window's end. Null when none did.
 */
function restoredAt(
  d: DoraDeployment,
  at: Date,
  line: Timeline,
  alerts: readonly DoraAlert[],
  until: Date,
): Date | null {
  const candidates: number[] = [];
  if (d.state === 'rolled_back' && d.finishedAt) candidates.push(d.finishedAt.getTime());
  const next = nextLive(line, d, at);
  if (next) candidates.push((next.finishedAt as Date).getTime());
  const resolved = alerts.map((a) => a.resolvedAt);
  if (resolved.length > 0 && resolved.every((r): r is Date => r !== null)) {
    candidates.push(Math.max(...resolved.map((r) => r.getTime())));
  }
  const first = Math.min(...candidates.filter((t) => t >= at.getTime() && t < until.getTime()));
  return Number.isFinite(first) ? new Date(first) : null;
}
