import type { Deployment } from '../../core/deployment.js';
import { ValidationError } from '../../core/errors.js';
import { deployHandleOf } from './handle.js';
import { type ReleaseScope, readValue } from './release.js';
import { type HistoryEntry, newest, revisionBeforeLive } from './releases.js';

/** Older revisions whose values are read to find one that ran a version (`rollback … to 1.2.0`). */
const VERSION_SEARCH_DEPTH = 20;

/** Which earlier revision a rollback returns to, or the version to install when none ran it. */
export async function rollbackTarget(
  d: Readonly<Deployment>,
  scope: ReleaseScope,
  history: HistoryEntry[],
  toVersion: string | null,
): Promise<{ revision: number } | { version: string }> {
  const own = d.kind === 'deploy' ? deployHandleOf(d.driverRef) : null;
  if (own && own.release === scope.release) {
    if (own.previousRevision === null) {
      throw new ValidationError(
        `release ${scope.release} had no revision before this deployment installed it, so there is nothing to roll back to; remove it with "helm uninstall ${scope.release} -n ${scope.options.namespace}" if it should go.`,
      );
    }
    return { revision: own.previousRevision };
  }
  if (toVersion !== null) {
    const candidates = history
      .filter((e) => e.status === 'superseded' || e.status === 'deployed')
      .reverse()
      .slice(0, VERSION_SEARCH_DEPTH);
    for (const entry of candidates) {
      const ran = await readValue(scope, entry.revision, scope.options.versionValue);
      if (ran === toVersion) return { revision: entry.revision };
    }
    return { version: toVersion };
  }
  const before = revisionBeforeLive(history);
  if (!before) {
    throw new ValidationError(
      `release ${scope.release} has no earlier revision that ran, so there is nothing to roll back to; name a version: "rollback ${d.service} in ${d.environment} to <version>".`,
    );
  }
  return { revision: before.revision };
}

/** The newest revision before `mine` that ran (a deploy whose description helm replaced). */
export function onceLiveBefore(history: HistoryEntry[], mine: HistoryEntry): number | null {
  const before = newest(
    history,
    (e) => e.revision < mine.revision && (e.status === 'superseded' || e.status === 'deployed'),
  );
  return before?.revision ?? null;
}
