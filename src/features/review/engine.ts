import type {
  Approval,
  ApprovalVerdict,
  Deployment,
  RequestSource,
} from '../../core/deployment.js';
import { clockOf, type EngineDeps, type Refusal, refuse } from '../../engine/context.js';
import type { EngineEvent, EventBus } from '../../engine/events.js';
import { deploymentSubject, refuseAndRecord } from '../../engine/refusals.js';
import { requestDeployment } from '../../engine/requests.js';
import { tearDown } from '../../engine/teardown.js';
import { approvalsFor } from '../../policy/change.js';
import { decide } from '../../policy/decide.js';
import { carryApprovals, promotionChannel, qaProblem, withdraw } from './engine-promotion.js';
import {
  buildName,
  loadReview,
  promotionKey,
  type ReviewState,
  reviewOver,
} from './engine-state.js';

/** Who clicked, and where: a button in a direct message, the CLI or the API. */
export interface ReviewCaller {
  deploymentId: string;
  actor: string;
  channel: string | null;
  source: RequestSource;
}

export type ReviewAccepted = { ok: true; deployment: Deployment; approvals: Approval[] };

/**
 * A QA verdict on a build that is on a pre-production environment, recorded as an approval on
 * its deployment. Safe to repeat: the first verdict of each person stands.
 */
export async function reviewBuild(
  deps: EngineDeps,
  request: ReviewCaller & { verdict: ApprovalVerdict; comment?: string | null },
): Promise<ReviewAccepted | Refusal> {
  const state = await loadReview(deps, request.deploymentId, 'review');
  if (!state.ok) return recorded(deps, request, 'review', null, state);
  const d = state.deployment;
  const denied = decideFor(deps, request, 'review', d) ?? reviewOver(state, 'review');
  if (denied) return recorded(deps, request, 'review', d, denied);
  const comment = request.comment ?? null;
  const { created } = await deps.store.addApproval({
    deploymentId: d.id,
    approver: request.actor,
    verdict: request.verdict,
    comment,
  });
  const approvals = await deps.store.listApprovals(d.id);
  if (!created) {
    const mine = approvals.find((a) => a.approver === request.actor);
    const word = mine?.verdict === 'reject' ? 'rejected' : 'approved';
    return recorded(
      deps,
      request,
      'review',
      d,
      refuse(
        'already_reviewed',
        `You already ${word} ${buildName(d)} on ${d.environment}; your verdict stands.`,
      ),
    );
  }
  deps.events.emit({
    type: 'review',
    deployment: d,
    reviewer: request.actor,
    verdict: request.verdict,
    comment,
  });
  return { ok: true, deployment: d, approvals };
}

export type PromoteAccepted = {
  ok: true;
  /** The reviewed build. */
  deployment: Deployment;
  /** The deploy of the same version to the next environment. */
  promoted: Deployment;
  /** True when the build had been promoted already: nothing new was requested. */
  duplicate: boolean;
  /** QA approvers whose approval counts toward the next environment's required approvals. */
  carried: string[];
  notes: string[];
};

/**
 * An owner deploys the reviewed build to the next environment, through the normal request path
 * (policy, locks, freezes, queue). The QA approvals of the build count toward that environment's
 * required approvals when their givers may approve there, the promoter excepted (four-eyes).
 */
/** A promotion; `force` overrides a freeze on the target, for those allowed (`deploy!`). */
export interface PromoteCaller extends ReviewCaller {
  force?: boolean;
}

export async function promote(
  deps: EngineDeps,
  request: PromoteCaller,
): Promise<PromoteAccepted | Refusal> {
  const state = await loadReview(deps, request.deploymentId, 'promote');
  if (!state.ok) return recorded(deps, request, 'promote', null, state);
  const d = state.deployment;
  const denied = decideFor(deps, request, 'promote', d);
  if (denied) return recorded(deps, request, 'promote', d, denied);
  if (state.promoted && state.decision?.decision !== 'closed') {
    // A second click, or a retry after a crash: finish what the first one started.
    const actor = state.promoted.requestedBy;
    const decided = await deps.store.recordReviewDecision({
      deploymentId: d.id,
      decision: 'promoted',
      actor,
    });
    const carried = await carryApprovals(deps, state, state.promoted);
    const promoted = (await deps.store.getDeployment(state.promoted.id)) ?? state.promoted;
    if (decided.created) deps.events.emit({ type: 'promotion', deployment: d, promoted, actor });
    return { ok: true, deployment: d, promoted, duplicate: true, carried, notes: [] };
  }
  const over = reviewOver(state, 'promote') ?? qaProblem(deps.config, state);
  if (over) return recorded(deps, request, 'promote', d, over);
  // Where the deploy waits for approval, it is recorded waiting and given the build's QA
  // approvals just after. Heard in between (a Postgres round trip, say), its wait would send
  // direct messages asking for approvals it already has.
  if (approvalsFor(state.next, 'deploy') === 0) return requestPromotion(deps, request, state);
  return toldAfterwards(deps, (held) => requestPromotion(held, request, state));
}

/**
 * Runs `steps` with the engine's events held back, then tells them in the order they came:
 * each still says what happened then, and whoever reads the store on hearing one finds
 * everything the steps wrote.
 */
async function toldAfterwards<T>(
  deps: EngineDeps,
  steps: (held: EngineDeps) => Promise<T>,
): Promise<T> {
  const waiting: EngineEvent[] = [];
  const events: EventBus = {
    on: (listener) => deps.events.on(listener),
    emit: (event) => waiting.push(event),
  };
  try {
    return await steps({ ...deps, events });
  } finally {
    for (const event of waiting) deps.events.emit(event);
  }
}

/** The deploy of a reviewed build to the next environment, and the decision that records it. */
async function requestPromotion(
  deps: EngineDeps,
  request: PromoteCaller,
  state: ReviewState,
): Promise<PromoteAccepted | Refusal> {
  const d = state.deployment;
  const r = await requestDeployment(deps, {
    actor: request.actor,
    source: request.source,
    channel: promotionChannel(deps.config, state, request),
    service: d.service,
    environment: state.next.name,
    version: d.version,
    ref: d.ref,
    kind: 'deploy',
    reason: `promoted from ${d.environment} (${d.id})`,
    force: request.force ?? false,
    idempotencyKey: promotionKey(d.id),
  });
  if (!r.ok) return r;
  const decided = await deps.store.recordReviewDecision({
    deploymentId: d.id,
    decision: 'promoted',
    actor: request.actor,
  });
  if (decided.decision.decision === 'closed') {
    // A close won the race on another replica: the request it did not see is withdrawn.
    await withdraw(deps, r.deployment, decided.decision.actor);
    return (
      reviewOver({ ...state, decision: decided.decision }, 'promote') ??
      refuse('review_closed', `The review of ${buildName(d)} was closed meanwhile.`)
    );
  }
  const carried = await carryApprovals(deps, state, r.deployment);
  const promoted = (await deps.store.getDeployment(r.deployment.id)) ?? r.deployment;
  // Whoever records the decision tells the world, once, however many clicks raced.
  if (decided.created)
    deps.events.emit({ type: 'promotion', deployment: d, promoted, actor: request.actor });
  return { ok: true, deployment: d, promoted, duplicate: r.duplicate, carried, notes: r.notes };
}

export type CloseAccepted = {
  ok: true;
  deployment: Deployment;
  /** Where the build would have gone. */
  next: string;
};

/**
 * An owner ends the review without promoting the build. The driver's `teardown`, when it has
 * one, removes what the build left on its environment (a preview), best effort.
 */
export async function closeReview(
  deps: EngineDeps,
  request: ReviewCaller,
): Promise<CloseAccepted | Refusal> {
  const state = await loadReview(deps, request.deploymentId, 'close');
  if (!state.ok) return recorded(deps, request, 'close', null, state);
  const d = state.deployment;
  const denied = decideFor(deps, request, 'close', d) ?? reviewOver(state, 'close');
  if (denied) return recorded(deps, request, 'close', d, denied);
  const decided = await deps.store.recordReviewDecision({
    deploymentId: d.id,
    decision: 'closed',
    actor: request.actor,
  });
  if (!decided.created) {
    const promoted = await deps.store.findByIdempotencyKey(promotionKey(d.id));
    return (
      reviewOver({ ...state, decision: decided.decision, promoted }, 'close') ??
      refuse('already_decided', `The review of ${buildName(d)} was decided meanwhile.`)
    );
  }
  deps.events.emit({ type: 'review_closed', deployment: d, actor: request.actor });
  await tearDown(deps, d);
  return { ok: true, deployment: d, next: state.next.name };
}

function decideFor(
  deps: EngineDeps,
  request: ReviewCaller,
  action: 'review' | 'promote' | 'close',
  d: Deployment,
): Refusal | null {
  const decision = decide(deps.config, {
    actor: request.actor,
    channel: request.channel,
    source: request.source,
    action,
    service: d.service,
    environment: d.environment,
    requestedBy: d.requestedBy,
    now: clockOf(deps),
  });
  return decision.allowed ? null : refuse(decision.code, decision.reason);
}

/** A refused review, promotion or close, written to the audit trail. */
function recorded(
  deps: EngineDeps,
  request: ReviewCaller,
  action: 'review' | 'promote' | 'close',
  d: Deployment | null,
  refusal: Refusal,
): Promise<Refusal> {
  return refuseAndRecord(
    deps,
    deploymentSubject(request, action, request.deploymentId, d),
    refusal,
  );
}
