import type { DeploymentState } from '../core/deployment.js';

/**
 * Every allowed move of the lifecycle in ARCHITECTURE.md. A failure that will be rolled back
 * goes straight to `rolling_back` (no stop at `failed`), so a crash between the two can never
 * leave a half-changed target marked final without its rollback.
 */
export const TRANSITIONS: Readonly<Record<DeploymentState, readonly DeploymentState[]>> = {
  requested: ['awaiting_approval', 'queued', 'cancelled', 'superseded'],
  awaiting_approval: ['queued', 'cancelled', 'superseded'],
  queued: ['running', 'cancelled', 'superseded'],
  running: ['verifying', 'failed', 'rolling_back'],
  verifying: ['succeeded', 'failed', 'rolling_back'],
  failed: ['rolling_back'],
  rolling_back: ['rolled_back', 'failed'],
  succeeded: [],
  rolled_back: [],
  cancelled: [],
  superseded: [],
};

export function canTransition(from: DeploymentState, to: DeploymentState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The states from which `to` can be reached: the `from` list of a compare-and-set. */
export function sourcesOf(to: DeploymentState): DeploymentState[] {
  return (Object.keys(TRANSITIONS) as DeploymentState[]).filter((from) =>
    TRANSITIONS[from].includes(to),
  );
}

/** States a person still waits on: nothing has touched the target yet. */
export const PENDING_STATES: readonly DeploymentState[] = [
  'requested',
  'awaiting_approval',
  'queued',
];
