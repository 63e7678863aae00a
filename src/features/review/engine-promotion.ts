import { findEnvironment, findService } from '../../config/lookup.js';
import type { Config } from '../../config/schema.js';
import type { Deployment } from '../../core/deployment.js';
import { clockOf, type EngineDeps, type Refusal, refuse } from '../../engine/context.js';
import { emitTransition } from '../../engine/requests.js';
import { PENDING_STATES } from '../../engine/state-machine.js';
import { isMember } from '../../policy/principals.js';
import { recordVerdict } from '../approvals/engine.js';
import { buildName, qaVerdicts, type ReviewState } from './engine-state.js';

/** The parts of a promotion (review.ts, `promote`) that are rules rather than steps. */

/** Promotion needs a QA approval (when the service has QA) and no QA rejection. */
export function qaProblem(config: Config, state: ReviewState): Refusal | null {
  const d = state.deployment;
  const verdicts = qaVerdicts(config, state);
  const rejection = verdicts.find((a) => a.verdict === 'reject');
  if (rejection) {
    const why = rejection.comment ? ` ("${rejection.comment}")` : '';
    return refuse(
      'rejected',
      `${rejection.approver} rejected ${buildName(d)} on ${d.environment}${why}, so it cannot be promoted. Close this review and deploy a fixed build.`,
    );
  }
  const service = findService(config, d.service);
  if (service && service.qa.length > 0 && !verdicts.some((a) => a.verdict === 'approve')) {
    return refuse(
      'qa_pending',
      `QA has not approved ${d.version} yet: ${buildName(d)} goes to ${state.next.name} once someone from its QA approves it on ${d.environment}.`,
    );
  }
  return null;
}

/**
 * The channel a promotion counts as coming from. Its button sits in an owner's direct message,
 * which nobody else sees, so a chat promotion counts as a request from the target
 * environment's deploy channel (the first of `channels`, unless it was clicked in one of them)
 * or, when the environment has no channel rule, from the service's channel. The handler
 * announces it in that channel and the service's: the people a channel rule is meant to keep
 * informed see every promotion. Who may promote is still policy's to say (owners and admins,
 * then the deploy rights of the target). The CLI and the API are not channels.
 */
export function promotionChannel(
  config: Config,
  state: ReviewState,
  request: { channel: string | null; source: Deployment['source'] },
): string | null {
  if (request.source !== 'chat') return request.channel;
  const allowed = state.next.channels;
  const here = request.channel?.replace(/^#/, '').toLowerCase();
  if (allowed.length > 0) {
    const match = allowed.find((c) => c.replace(/^#/, '').toLowerCase() === here);
    return match ?? allowed[0] ?? null;
  }
  return findService(config, state.deployment.service)?.channel ?? request.channel;
}

/** Adds the build's QA approvals to the promoted deployment while it waits for approval. */
export async function carryApprovals(
  deps: EngineDeps,
  state: ReviewState,
  promoted: Deployment,
): Promise<string[]> {
  const current = await deps.store.getDeployment(promoted.id);
  if (current?.state !== 'awaiting_approval') return [];
  const environment = findEnvironment(deps.config, promoted.environment);
  const service = findService(deps.config, promoted.service);
  const from = environment?.approvals.from ?? [];
  const carried: string[] = [];
  for (const approval of qaVerdicts(deps.config, state)) {
    if (approval.verdict !== 'approve' || approval.approver === promoted.requestedBy) continue;
    if (!isMember(deps.config, approval.approver, from, service)) continue;
    const d = state.deployment;
    const r = await recordVerdict(deps, {
      deploymentId: promoted.id,
      actor: approval.approver,
      channel: null,
      source: promoted.source,
      verdict: 'approve',
      comment: `approved ${d.version} on ${d.environment} (${d.id})`,
    });
    if (r.ok || r.code === 'already_voted') carried.push(approval.approver);
    if (r.ok && r.deployment.state !== 'awaiting_approval') break;
  }
  return carried;
}

export async function withdraw(deps: EngineDeps, d: Deployment, closedBy: string): Promise<void> {
  const reason = `withdrawn: the review of ${d.version} was closed by ${closedBy} meanwhile`;
  const moved = await deps.store.transition(
    d.id,
    PENDING_STATES,
    'cancelled',
    { actor: 'slipway', reason },
    { outcome: reason, finishedAt: clockOf(deps) },
  );
  if (moved) {
    emitTransition(deps, moved, d.state, 'slipway', reason);
    return;
  }
  const now = await deps.store.getDeployment(d.id);
  if (now && !PENDING_STATES.includes(now.state) && now.state !== 'cancelled') {
    deps.log.warn({ deployment: d.id }, 'promotion started before the close; left running');
  }
}
