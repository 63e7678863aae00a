import type { V1Deployment } from '@kubernetes/client-node';

/** Where a Deployment's rollout stands, by the rules of `kubectl rollout status`. */
export type Rollout =
  | { state: 'progressing'; detail: string; ready: number; desired: number }
  | { state: 'complete'; detail: string; ready: number; desired: number }
  | { state: 'failed'; detail: string; ready: number; desired: number };

/**
 * Mirrors kubectl's DeploymentStatusViewer (k8s.io/kubectl/pkg/polymorphichelpers/
 * rollout_status.go): the controller must have observed at least `generation` (the one our
 * write produced) and the current spec; then ProgressDeadlineExceeded fails the rollout, and it
 * is complete once every replica is updated, no old replica is left and all updated ones are
 * available.
 */
export function rolloutOf(d: V1Deployment, generation = 0, staleDeadline?: number): Rollout {
  const name = d.metadata?.name ?? 'deployment';
  const status = d.status ?? {};
  const desired = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const old = Math.max(0, (status.replicas ?? 0) - updated);
  // The status counts ready pods of every revision; assuming the old ones are all ready gives
  // a floor on the new ones, so progress never claims a readiness that is not there.
  const ready = Math.max(0, Math.min(updated, (status.readyReplicas ?? 0) - old));
  const available = status.availableReplicas ?? 0;
  const counts = { ready, desired };
  const observed = status.observedGeneration ?? 0;
  if (observed < Math.max(generation, d.metadata?.generation ?? 0)) {
    return {
      state: 'progressing',
      detail: `waiting for the new spec of ${name} to be observed`,
      ready: 0,
      desired,
    };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (
    progressing?.reason === 'ProgressDeadlineExceeded' &&
    (staleDeadline === undefined || timeOf(progressing.lastUpdateTime) !== staleDeadline)
  ) {
    return {
      state: 'failed',
      detail: `${name} exceeded its progress deadline with ${ready} of ${desired} updated replicas ready${progressing.message ? ` (${progressing.message})` : ''}`,
      ...counts,
    };
  }
  if (updated < desired) {
    return {
      state: 'progressing',
      detail: `${name}: ready ${ready} of ${desired}, ${updated} updated`,
      ...counts,
    };
  }
  if (old > 0) {
    return {
      state: 'progressing',
      detail: `${name}: ready ${ready} of ${desired}, ${old} old pending termination`,
      ...counts,
    };
  }
  if (available < updated) {
    return { state: 'progressing', detail: `${name}: ready ${ready} of ${desired}`, ...counts };
  }
  return { state: 'complete', detail: `${name}: ready ${ready} of ${desired}`, ...counts };
}

/**
 * When the Deployment's progress deadline was found exceeded, if it is now: the mark of a
 * condition that was there before a write, which the controller may leave in place while it
 * observes the write (it keeps a condition whose reason does not change). A rollback of a
 * rollout that ran out of time would otherwise be judged failed by its predecessor's deadline.
 */
export function deadlineExceededAt(d: V1Deployment): number | undefined {
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  return progressing?.reason === 'ProgressDeadlineExceeded'
    ? timeOf(progressing.lastUpdateTime)
    : undefined;
}

// Read from a watch the time is text; through client-node's typed calls, a Date.
function timeOf(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/** The tag of `image` when its repository is `repository` ("reg/web:1.2" → "1.2"), else null. */
export function tagOf(image: string | undefined, repository: string | null): string | null {
  if (!image) return null;
  const at = image.indexOf('@');
  const bare = at >= 0 ? image.slice(0, at) : image;
  const colon = bare.lastIndexOf(':');
  if (colon < 0 || bare.indexOf('/', colon) >= 0) return null;
  if (repository !== null && bare.slice(0, colon) !== repository) return null;
  return bare.slice(colon + 1);
}
