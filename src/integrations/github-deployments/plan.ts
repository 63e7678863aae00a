import type { Deployment, Transition } from '../../core/deployment.js';

/** The states of a GitHub deployment status (docs.github.com/rest/deployments/statuses). */
export type GitHubState =
  | 'error'
  | 'failure'
  | 'inactive'
  | 'in_progress'
  | 'queued'
  | 'pending'
  | 'success';

export interface PlannedStatus {
  state: GitHubState;
  description: string;
}

/** What happened to a deployment after it ended that GitHub should hear of. */
export interface Aftermath {
  /** A newer deployment took its place on the target (or its preview's ref) and succeeded. */
  replacedBy?: Pick<Deployment, 'id' | 'version' | 'kind'> | null;
  /** Its preview was torn down: the review of the build was closed. */
  tornDownBy?: string | null;
}

/** GitHub refuses a longer description (422). */
export const MAX_DESCRIPTION = 140;

/**
 * Every status the GitHub deployment of `d` should have by now, in order, read from its
 * transitions: the store's record is the truth, so a restart, a late event or another replica
 * arrives at the same list and posts only what is missing from it. `verifying` is still
 * `in_progress` on GitHub; a rollback is another `in_progress`, saying why.
 */
export function plannedStatuses(
  d: Deployment,
  transitions: readonly Transition[],
  aftermath: Aftermath = {},
): PlannedStatus[] {
  const planned: PlannedStatus[] = [];
  for (const t of transitions) {
    if (t.from === t.to) continue;
    const status = statusOf(d, t);
    if (status) planned.push({ ...status, description: clip(status.description) });
  }
  if (planned.at(-1)?.state === 'success') {
    const after = afterSuccess(aftermath);
    if (after) planned.push({ state: 'inactive', description: clip(after) });
  }
  return planned;
}

function statusOf(d: Deployment, t: Transition): PlannedStatus | null {
  const reason = t.reason ?? '';
  switch (t.to) {
    case 'requested':
    case 'verifying':
      return null;
    case 'awaiting_approval':
      return { state: 'pending', description: reason || 'waiting for approval' };
    case 'queued':
      return { state: 'queued', description: reason || 'waiting for its turn' };
    case 'running':
      return {
        state: 'in_progress',
        description:
          d.kind === 'rollback' ? `rolling back to ${d.version}` : `deploying ${d.version}`,
      };
    case 'rolling_back':
      return { state: 'in_progress', description: reason || 'rolling back' };
    case 'succeeded':
      return { state: 'success', description: reason || `${d.version} is live` };
    case 'failed':
      return { state: erred(d, reason) ? 'error' : 'failure', description: reason || 'failed' };
    case 'rolled_back':
      return { state: erred(d, reason) ? 'error' : 'failure', description: reason || 'failed' };
    case 'cancelled':
    case 'superseded':
      return { state: 'inactive', description: reason || t.to };
  }
}

/**
 * Whether the deployment ended because Slipway could not run its driver (`error` on GitHub)
 * rather than because the deploy itself failed (`failure`): the driver threw, is not there, or
 * its options no longer hold (the runner's words, src/engine/runner.ts).
 */
function erred(d: Deployment, reason: string): boolean {
  const text = `${d.outcome ?? ''}\n${reason}`;
  return (
    text.includes(`${d.driver} driver error: `) ||
    text.includes(`Driver "${d.driver}" is not available`) ||
    text.includes(`The ${d.driver} options for `) ||
    /is no longer configured for \S+; nothing was changed/.test(text)
  );
}

function afterSuccess(aftermath: Aftermath): string | null {
  if (aftermath.tornDownBy)
    return `preview removed: the review was closed by ${aftermath.tornDownBy}`;
  const newer = aftermath.replacedBy;
  if (!newer) return null;
  const how = newer.kind === 'rollback' ? 'rolled back to' : 'replaced by';
  return `${how} ${newer.version} (${newer.id})`;
}

/** GitHub's limit, with an ellipsis when cut. */
export function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= MAX_DESCRIPTION ? line : `${line.slice(0, MAX_DESCRIPTION - 1)}…`;
}
