import { z } from 'zod';

/**
 * One revision of a release as `helm history --output json` prints it (helm's pkg/cmd/history.go
 * releaseInfo). Status is kept as text: helm may add states, and only a few matter here.
 */
export const HistoryEntry = z.object({
  revision: z.number().int().positive(),
  updated: z.string().optional(),
  status: z.string(),
  chart: z.string().optional(),
  app_version: z.string().optional(),
  description: z.string().default(''),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** The revisions, oldest first; helm prints `null` for none in some versions. */
export function parseHistory(stdout: string): HistoryEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(stdout || 'null');
  } catch {
    throw new Error(`helm history printed something that is not JSON: ${stdout.slice(0, 200)}`);
  }
  const entries = z.array(HistoryEntry).nullable().parse(json) ?? [];
  return [...entries].sort((a, b) => a.revision - b.revision);
}

/** The newest revision (highest number) that `test` accepts. */
export function newest(
  history: HistoryEntry[],
  test: (entry: HistoryEntry) => boolean,
): HistoryEntry | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i] as HistoryEntry;
    if (test(entry)) return entry;
  }
  return null;
}

/** A revision helm is still writing: another upgrade, install or rollback holds the release. */
export function isPending(entry: HistoryEntry): boolean {
  return entry.status.startsWith('pending-');
}

/** The revision running now: helm marks exactly one `deployed` (the newest, after a rollback). */
export function liveRevision(history: HistoryEntry[]): HistoryEntry | null {
  return newest(history, (entry) => entry.status === 'deployed');
}

export function latestRevision(history: HistoryEntry[]): HistoryEntry | null {
  return history.at(-1) ?? null;
}

/**
 * The revision that ran before the live one: the newest older revision that was once deployed
 * (`superseded`), so a failed attempt in between is never what a rollback returns to.
 */
export function revisionBeforeLive(history: HistoryEntry[]): HistoryEntry | null {
  const live = liveRevision(history);
  if (!live) return null;
  return newest(
    history,
    (entry) => entry.revision < live.revision && entry.status === 'superseded',
  );
}

export interface DeployMark {
  deploymentId: string;
  service: string;
  version: string;
  actor: string;
  /** The revision live when the deploy started; null for a first install. */
  previousRevision: number | null;
}

const MARK = /^Slipway deploy (\S+):/;
const BEFORE = /\(live before: (?:revision (\d+)|none)\)$/;

/**
 * The description of the revision a deploy writes: `helm history` then says which Slipway
 * deployment made it, and a process that takes the deployment over after a crash finds both the
 * revision and the one it replaced there, with nothing kept on the machine that ran helm.
 */
export function deployDescription(mark: DeployMark): string {
  const before = mark.previousRevision === null ? 'none' : `revision ${mark.previousRevision}`;
  return `Slipway deploy ${mark.deploymentId}: ${mark.service} ${mark.version} by ${mark.actor} (live before: ${before})`;
}

/** The revision a deploy wrote (the newest, if it was somehow run twice). */
export function markedRevision(history: HistoryEntry[], deploymentId: string): HistoryEntry | null {
  return newest(history, (entry) => MARK.exec(entry.description)?.[1] === deploymentId);
}

/** The live revision a deploy recorded in its description; undefined when it says nothing. */
export function previousRevisionIn(description: string): number | null | undefined {
  const found = BEFORE.exec(description);
  if (!found) return undefined;
  return found[1] ? Number(found[1]) : null;
}

/**
 * The first revision written after `after` (the newest revision when helm was started): helm
 * holds the release while it writes one, so that is the one it wrote. Used when the description
 * is not ours: helm replaces it with its error on a failed upgrade, and `helm rollback` sets its
 * own ("Rollback to 4").
 */
export function revisionAfter(history: HistoryEntry[], after: number): HistoryEntry | null {
  return history.find((entry) => entry.revision > after) ?? null;
}

/** The value at a dotted path (`image.tag`) as text; null when it is not there or not a scalar. */
export function valueAt(values: unknown, path: string): string | null {
  let here: unknown = values;
  for (const key of path.split('.')) {
    if (here === null || typeof here !== 'object' || Array.isArray(here)) return null;
    here = (here as Record<string, unknown>)[key];
  }
  if (typeof here === 'string') return here;
  if (typeof here === 'number' || typeof here === 'boolean') return String(here);
  return null;
}

/** `helm get values --output json`: the values object, or null when helm printed none. */
export function parseValues(stdout: string): Record<string, unknown> | null {
  let json: unknown;
  try {
    json = JSON.parse(stdout || 'null');
  } catch {
    throw new Error(`helm get values printed something that is not JSON: ${stdout.slice(0, 200)}`);
  }
  return z.record(z.string(), z.unknown()).nullable().parse(json);
}
