import {
  findEnvironment,
  findService,
  nextEnvironment,
  serviceEnvironments,
} from '../../config/lookup.js';
import type { Config, Environment } from '../../config/schema.js';
import type { Approval, Deployment } from '../../core/deployment.js';
import { type Refusal, refuse } from '../../engine/context.js';
import { describeDeployment } from '../../engine/describe.js';
import { isMember } from '../../policy/principals.js';
import type { ReviewDecision, Store } from '../../store/types.js';

/**
 * The review of a build (seeds/001): a deploy that succeeded on an environment before the end
 * of its service's promotion chain is tried by the service's QA, who approve or reject it, and
 * then promoted to the next environment or closed by its owners. Nothing here is kept in
 * memory or in a button: the verdicts are approvals on the build's deployment, the decision is
 * a `review_decisions` row, and the promotion is the deployment with key `promote:<id>`.
 */

/**
 * Where a build would be promoted to, or null when it is not up for review: only deploys
 * (not rollbacks) on unprotected environments that review builds and have a next environment
 * for the service. Protected environments are where builds end up, not where they are tried.
 * Unless an environment says otherwise, builds are reviewed only where they land first (a
 * service's first environment): a review on every later step would ask QA about each deploy.
 */
export function reviewTarget(config: Config, d: Deployment): Environment | null {
  if (d.kind !== 'deploy') return null;
  const environment = findEnvironment(config, d.environment);
  if (!environment || environment.protected) return null;
  const reviewed =
    environment.review ?? serviceEnvironments(config, d.service)[0] === d.environment;
  if (!reviewed) return null;
  return nextEnvironment(config, d.environment, d.service);
}

/** The idempotency key of a build's promotion: a double click promotes once. */
export function promotionKey(deploymentId: string): string {
  return `promote:${deploymentId}`;
}

/** Where the deployed version can be tried, when the driver reported a URL for it. */
export function previewUrl(d: Deployment): string | null {
  const ref = d.driverRef as { url?: unknown } | null;
  return typeof ref?.url === 'string' ? ref.url : null;
}

export interface ReviewState {
  ok: true;
  deployment: Deployment;
  next: Environment;
  approvals: Approval[];
  decision: ReviewDecision | null;
  /** The deployment the promotion requested, if there was one. */
  promoted: Deployment | null;
  /** What replaced the build on its environment since (a newer deploy or a rollback). */
  newer: Deployment | null;
}

/** Everything known about a build's review, from the store; a refusal if there is none. */
export async function loadReview(
  deps: { config: Config; store: Store },
  deploymentId: string,
  action: 'review' | 'promote' | 'close',
): Promise<ReviewState | Refusal> {
  const { config, store } = deps;
  const deployment = await store.getDeployment(deploymentId);
  if (!deployment) return refuse('not_found', `There is no deployment ${deploymentId}.`);
  const next = reviewTarget(config, deployment);
  if (!next || deployment.state !== 'succeeded') {
    return refuse(
      'not_reviewable',
      `Nothing to ${action}: ${describeDeployment(deployment)} is not a build waiting for review. Builds are reviewed once they succeed on an unprotected environment that has a next one in the promotion chain.`,
    );
  }
  const [approvals, decision, promoted, live] = await Promise.all([
    store.listApprovals(deployment.id),
    store.getReviewDecision(deployment.id),
    store.findByIdempotencyKey(promotionKey(deployment.id)),
    latestOfItsLine(store, deployment),
  ]);
  const newer = live && live.id !== deployment.id ? live : null;
  return { ok: true, deployment, next, approvals, decision, promoted, newer };
}

/**
 * The latest build that would replace `d` for its reviewers: on its environment, and, when the
 * build came from a branch or tag, from the same one (previews of other branches live side by
 * side, each with its own review).
 */
async function latestOfItsLine(store: Store, d: Deployment): Promise<Deployment | null> {
  if (!d.ref) return store.lastSucceeded(d.service, d.environment);
  const ref = d.ref;
  const succeeded = await store.listDeployments({
    service: d.service,
    environment: d.environment,
    states: ['succeeded'],
    limit: 500,
  });
  return succeeded.find((o) => o.ref?.type === ref.type && o.ref.name === ref.name) ?? null;
}

/** Verdicts given by the service's QA as it stands now (config may have changed since). */
export function qaVerdicts(config: Config, state: ReviewState): Approval[] {
  const service = findService(config, state.deployment.service);
  return state.approvals.filter((a) => isMember(config, a.approver, service?.qa ?? [], service));
}

/** "web 1.4.2" */
export function buildName(d: Deployment): string {
  return `${d.service} ${d.version}`;
}

/** Why nothing more can be decided on this build, or null while its review is open. */
export function reviewOver(
  state: ReviewState,
  action: 'review' | 'promote' | 'close',
): Refusal | null {
  const d = state.deployment;
  const build = buildName(d);
  const { decision } = state;
  if (decision?.decision === 'closed') {
    return refuse(
      'review_closed',
      action === 'promote'
        ? `The review of ${build} on ${d.environment} was closed by ${decision.actor}, so it cannot be promoted; deploy a new build to ${d.environment} to start again.`
        : `The review of ${build} on ${d.environment} was already closed by ${decision.actor}; nothing more to ${action === 'close' ? 'close' : 'review'}.`,
    );
  }
  const promoted = state.promoted;
  if (decision?.decision === 'promoted' || promoted) {
    const by = decision?.actor ?? promoted?.requestedBy ?? 'an owner';
    const where = promoted
      ? `${promoted.environment} (${promoted.id}, ${promoted.state.replace('_', ' ')})`
      : state.next.name;
    return refuse(
      'already_promoted',
      `${build} was already promoted to ${where} by ${by}; ${action === 'review' ? 'its review is over. If something is wrong, tell the owners so they can cancel or roll it back' : 'nothing more to do here'}.`,
    );
  }
  if (state.newer) {
    return refuse(
      'superseded',
      `${build} is no longer the latest build on ${d.environment}: ${describeDeployment(state.newer)} replaced it, so its review is over. ${action === 'review' ? 'Review the newer build instead.' : 'Decide on the newer build instead.'}`,
    );
  }
  return null;
}
