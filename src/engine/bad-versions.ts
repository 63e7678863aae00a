import type { BadVersion } from '../core/bad-version.js';
import type { Deployment } from '../core/deployment.js';
import { describeMark } from '../policy/bad-version.js';
import { clockOf, type EngineDeps } from './context.js';

/**
 * Rollbacks that stick. A version is "rolled back" on a target, and marked bad there, when:
 *
 * - a deploy of it goes back because it failed: its rollout, verification or canary analysis
 *   (marked by `slipway`, the failure as the reason), or alert automation aborted its canary
 *   (marked by the alert's identity, cancel.ts);
 * - a rollback starts while it is what is live (the rollback's previous version, read as it
 *   starts): typed, a button, or alert automation. Marked by whoever asked, with their reason.
 *
 * Not marked: the version rolled back *to*; a deploy that failed without touching the target or
 * had nothing to go back to; a person's cancel of a running deploy, which says "not now" rather
 * than "bad" (the card's Retry deploys it again). Marking happens before the driver acts and
 * again on a resumed run (the store keeps the first mark), so a restart in between loses none.
 * Policy reads the mark (policy/bad-version.ts).
 */

/** The mark on the version a request would put on a target, for policy; null when none. */
export function markOf(
  deps: EngineDeps,
  target: { service: string; environment: string; version: string | null },
): Promise<BadVersion | null> {
  if (target.version === null) return Promise.resolve(null);
  return deps.store.findBadVersion(target.service, target.environment, target.version);
}

/** The versions marked bad on a target: a rollback does not choose one to go back to. */
export async function markedVersions(
  deps: EngineDeps,
  service: string,
  environment: string,
): Promise<Set<string>> {
  const marks = await deps.store.listBadVersions({ service, environment, limit: 500 });
  return new Set(marks.map((mark) => mark.version));
}

/**
 * A deploy going back: its own version is marked, when Slipway sent it back (it failed) or
 * `by` says who did (alert automation aborting its canary); a person's cancel is left unmarked.
 */
export async function markGoingBack(deps: EngineDeps, d: Deployment, by?: string): Promise<void> {
  if (d.kind !== 'deploy') return;
  const transitions = await deps.store.listTransitions(d.id);
  const back = [...transitions].reverse().find((t) => t.to === 'rolling_back');
  const markedBy = by ?? back?.actor ?? 'slipway';
  if (by === undefined && markedBy !== 'slipway') return;
  await mark(deps, d, {
    version: d.version,
    markedBy,
    reason: d.outcome ?? back?.reason ?? 'the deployment failed',
  });
}

/** A rollback starting: the version it takes off (live before it) is marked, by its requester. */
export async function markTakenOff(deps: EngineDeps, rollback: Deployment): Promise<void> {
  const live = rollback.previousVersion;
  if (rollback.kind !== 'rollback' || live === null || live === rollback.version) return;
  await mark(deps, rollback, {
    version: live,
    markedBy: rollback.requestedBy,
    reason: rollback.reason ?? 'no reason given',
  });
}

async function mark(
  deps: EngineDeps,
  d: Deployment,
  what: { version: string; markedBy: string; reason: string },
): Promise<void> {
  const log = deps.log.child({ deployment: d.id, correlationId: d.correlationId });
  try {
    const { created } = await deps.store.markBadVersion({
      service: d.service,
      environment: d.environment,
      ...what,
      deploymentId: d.id,
      at: clockOf(deps),
    });
    if (created) log.info({ version: what.version, by: what.markedBy }, 'version marked bad');
  } catch (err) {
    // The rollback matters more than its mark: it goes on, and a resumed run marks again.
    log.error({ err, version: what.version }, 'could not mark the rolled-back version bad');
  }
}

/**
 * A `deploy!` that policy let through over a mark clears it, recording who, why and which
 * deployment; the mark stays in the store as cleared (the audit trail).
 */
export async function clearOverridden(
  deps: EngineDeps,
  mark: BadVersion,
  d: Deployment,
): Promise<void> {
  const cleared = await deps.store.clearBadVersion({
    service: mark.service,
    environment: mark.environment,
    version: mark.version,
    by: d.requestedBy,
    reason: d.reason,
    deploymentId: d.id,
    at: clockOf(deps),
  });
  if (cleared)
    deps.log.info(
      { deployment: d.id, version: mark.version, by: d.requestedBy, mark: mark.id },
      'bad version mark cleared by deploy!',
    );
}

/**
 * Before a deployment starts: its version was marked bad on the target after it was requested
 * (it waited in the queue or for approval while a deploy of that version went back), so policy
 * never saw the mark. Returns why it must not start, or null.
 */
export async function markedSinceRequested(
  deps: EngineDeps,
  d: Deployment,
): Promise<string | null> {
  const found = await markOf(deps, d);
  if (!found || found.markedAt <= d.createdAt) return null;
  return `not started: ${describeMark(found)}, after this was requested. To deploy it anyway: deploy! ${d.service} ${d.version} to ${d.environment} -- <reason>`;
}
