import type { DriverOutcome } from '../types.js';
import { type HelmHandle, revisionLabel } from './handle.js';
import { type ReleaseScope, readHistory } from './release.js';
import { type HistoryEntry, isPending, liveRevision } from './releases.js';
import { readRecord, runDirOf, runningHelm } from './runs.js';

export type RevisionState =
  | { kind: 'deployed'; entry: HistoryEntry }
  | { kind: 'over'; outcome: DriverOutcome };

/**
 * Waits until helm has finished writing the handle's revision and says what became of it. A
 * revision still pending once the helm that wrote it is gone was interrupted (helm killed with
 * its host): it fails, and the rollback that follows restores the release (`helm rollback`
 * accepts a pending release). When helm ran on another machine its process cannot be seen from
 * here; then the revision has until the handle's deadline.
 */
export async function settledRevision(
  scope: ReleaseScope,
  handle: HelmHandle,
  pollMs: number,
): Promise<RevisionState> {
  const label = revisionLabel(handle);
  for (;;) {
    const history = await readHistory(scope);
    const entry = history.find((e) => e.revision === handle.revision);
    if (!entry) {
      return over(
        `${label} is no longer in helm's history (uninstalled, or pruned by --history-max)`,
        true,
      );
    }
    if (!isPending(entry)) return judge(label, entry, history);
    const record = await readRecord(runDirOf(scope.dataDir, scope.deploymentId, handle.phase));
    if (record && !runningHelm(record)) {
      return over(
        `${label} is still ${entry.status} but the helm that wrote it has stopped: it was interrupted`,
        true,
      );
    }
    if (Date.now() >= handle.deadline) {
      return over(`${label} was still ${entry.status} when the time allowed ran out`, true);
    }
    scope.progress(`${label}: helm is still writing it (${entry.status})`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    scope.signal.throwIfAborted();
  }
}

function judge(label: string, entry: HistoryEntry, history: HistoryEntry[]): RevisionState {
  if (entry.status === 'deployed') return { kind: 'deployed', entry };
  if (entry.status === 'failed') return over(`${label} failed in helm: ${entry.description}`, true);
  // Superseded or uninstalled: someone else changed the release since. Undoing their change is
  // not this deployment's to do, so it fails without a rollback.
  const live = liveRevision(history);
  const now = live
    ? `revision ${live.revision} is live (${live.description || live.status})`
    : 'no revision is live';
  return over(`${label} is ${entry.status}: the release was changed meanwhile, ${now}`, false);
}

function over(reason: string, changed: boolean): RevisionState {
  return { kind: 'over', outcome: { ok: false, reason, changed } };
}
