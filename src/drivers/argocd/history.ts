import { ValidationError } from '../../core/errors.js';
import { shortRevision } from './judge.js';
import { type Override, versionIn } from './override.js';
import type { HistoryEntry } from './schema.js';

export interface RollbackChoice {
  entry: HistoryEntry;
  /** The version the entry installs through the override; null when it set none. */
  version: string | null;
  /** How the entry was chosen, for the chat message. */
  how: string;
}

/**
 * The entry of `status.history` to roll back to (argocd app rollback takes its id): the newest
 * that ran `toVersion` when there is one; else the previous one, i.e. the newest that does not
 * run `current` (what is being replaced), or the second newest when versions are unknown.
 */
export function chooseEntry(
  application: string,
  history: readonly HistoryEntry[],
  toVersion: string | null,
  current: string | null,
  override: Override,
): RollbackChoice {
  const entries = [...history].sort((a, b) => b.id - a.id);
  const label = (e: HistoryEntry, v: string | null) =>
    `history ${e.id} (${v ?? shortRevision(e.revision ?? 'unknown revision')})`;
  if (toVersion !== null) {
    const match = entries.find((e) => versionIn(e.source, override) === toVersion);
    if (match) return { entry: match, version: toVersion, how: label(match, toVersion) };
  }
  const previous =
    (current !== null
      ? entries.find((e) => {
          const v = versionIn(e.source, override);
          return v !== null && v !== current;
        })
      : undefined) ?? entries[1];
  if (!previous) {
    throw new ValidationError(
      `${application} has no earlier entry in its Argo CD history to roll back to${toVersion ? `, and none ran ${toVersion}` : ''}: deploy the version you want instead.`,
    );
  }
  const version = versionIn(previous.source, override);
  const missing = toVersion !== null ? `${toVersion} is no longer in the history; ` : '';
  return {
    entry: previous,
    version,
    how: `${missing}the previous entry, ${label(previous, version)}`,
  };
}
