import type { Logger } from 'pino';
import { announceIn, answerPrivately } from '../../chat/replies.js';
import type { ChatClient, FormAnswer, InboundEvent, ViewAction } from '../../chat/types.js';
import { refusalView } from '../../chat/views/index.js';
import { code, mention } from '../../chat/views/text.js';
import { findService } from '../../config/index.js';
import type { Config } from '../../config/schema.js';
import type { ApprovalVerdict } from '../../core/deployment.js';
import { type Engine, reviewTarget } from '../../engine/index.js';
import { activeFreeze, mayOverrideFreeze } from '../../policy/index.js';
import { promotionView, REJECT_REASON, rejectReasonModal, reviewClosedView } from './view.js';

type ActionEvent = Extract<InboundEvent, { kind: 'action' }>;
type SubmissionEvent = Extract<InboundEvent, { kind: 'submission' }>;

interface ReviewHandlerDeps {
  engine: Engine;
  chat: ChatClient;
  config: Config;
  log: Logger;
  /** A submitted form's answer while the person waits (only for submissions). */
  form?: FormAnswer;
}

/** The buttons of a build's review (seeds/001); the notifier updates its messages. */
export const REVIEW_ACTIONS = [
  'review_approve',
  'review_reject',
  'promote',
  'promote_override',
  'close',
] as const;

export function isReviewAction(id: string): id is (typeof REVIEW_ACTIONS)[number] {
  return (REVIEW_ACTIONS as readonly string[]).includes(id);
}

/**
 * Reject opens a form asking why: the owners must know what to fix. Nothing is recorded until
 * it is submitted, where the engine decides as for a click. A platform without forms (or a
 * click without a trigger) rejects at once, without a reason.
 */
async function askWhyRejected(e: ActionEvent, deps: ReviewHandlerDeps): Promise<void> {
  const openModal = deps.chat.openModal?.bind(deps.chat);
  const d = await deps.engine.get(e.value);
  // Without a build there is nothing to ask about: the engine refuses it, as any click.
  if (!e.triggerId || !openModal || !d) return giveVerdict(e, deps, 'reject', null);
  try {
    await openModal(e.triggerId, rejectReasonModal(d, { channel: e.channel, ts: e.messageTs }));
  } catch (err) {
    // Most likely the click waited longer than a trigger lives (3 s on Slack). Rejecting
    // without the reason the person meant to give would speak for them: they click again.
    deps.log.warn({ err, deployment: d.id }, 'could not open the form for a rejection reason');
    await answerPrivately(
      e,
      refusalView(
        'The form asking why did not open in time, so nothing was recorded. Click Reject again.',
      ),
      deps,
    );
  }
}

/**
 * A form submitted: the one Slipway opens is a review's rejection reason. An empty reason keeps
 * the form open saying so (or, once it has closed, is answered privately); a reason closes it
 * before the engine records the rejection, through policy, as a click would be.
 */
export async function handleReviewSubmission(
  e: SubmissionEvent,
  deps: ReviewHandlerDeps,
): Promise<void> {
  if (e.actionId !== 'review_reject') {
    deps.form?.close();
    return answerPrivately(
      e,
      refusalView(`Slipway does not know this form (${e.actionId}); nothing was recorded.`),
      deps,
    );
  }
  const reason = (e.fields[REJECT_REASON] ?? '').trim();
  if (!reason) {
    const why = 'Say why it is rejected: the owners read it to fix the build.';
    if (deps.form?.refuse({ [REJECT_REASON]: why })) return;
    return answerPrivately(
      e,
      refusalView('Nothing was recorded: a rejection needs a reason. Click Reject again.'),
      deps,
    );
  }
  deps.form?.close();
  return giveVerdict(e, deps, 'reject', reason);
}

/** A QA verdict through the engine; accepted, the notifier updates every review message. */
async function giveVerdict(
  e: ActionEvent | SubmissionEvent,
  deps: ReviewHandlerDeps,
  verdict: ApprovalVerdict,
  comment: string | null,
): Promise<void> {
  const r = await deps.engine.review({
    actor: e.user,
    channel: e.channel,
    source: 'chat',
    deploymentId: e.value,
    verdict,
    comment,
  });
  if (!r.ok) await answerPrivately(e, refusalView(r.reason, r.suggestion), deps);
}

/**
 * A click on a review button, through the engine (and so policy). Every refusal — not allowed,
 * a second click, a build replaced by a newer one, a review already closed — goes only to the
 * clicker and changes nothing. A close is announced in the service's channel, a promotion in
 * its target's deploy channel (the service's channel has the promoted deployment's card).
 */
export async function handleReviewAction(e: ActionEvent, deps: ReviewHandlerDeps): Promise<void> {
  const caller = {
    actor: e.user,
    channel: e.channel,
    source: 'chat' as const,
    deploymentId: e.value,
  };
  switch (e.actionId) {
    case 'review_approve':
      return giveVerdict(e, deps, 'approve', null);
    case 'review_reject':
      return askWhyRejected(e, deps);
    case 'promote':
    case 'promote_override': {
      const force = e.actionId === 'promote_override';
      const r = await deps.engine.promote({ ...caller, force });
      if (!r.ok) {
        const offer = !force && r.code === 'frozen' ? await overrideOffer(e, deps) : null;
        const view = refusalView(r.reason, r.suggestion);
        return answerPrivately(e, offer ? { ...view, actions: [offer] } : view, deps);
      }
      const p = r.promoted;
      if (r.duplicate) {
        return answerPrivately(
          e,
          {
            title: `Already promoted by ${mention(p.requestedBy)}`,
            tone: 'neutral',
            body: `${code(p.id)} (${p.environment}) is ${p.state.replace('_', ' ')}; nothing new was started.`,
          },
          deps,
        );
      }
      const view = promotionView(r.deployment, p, e.user, { carried: r.carried, notes: r.notes });
      // The promoted deployment's card says it all where people look: in the service's channel
      // and in the channel the promotion counted as coming from (the target's deploy channel,
      // see `promotionChannel` in the engine). The clicker gets the details.
      return answerPrivately(e, view, deps);
    }
    case 'close': {
      const r = await deps.engine.closeReview(caller);
      if (!r.ok) return answerPrivately(e, refusalView(r.reason, r.suggestion), deps);
      const service = findService(deps.config, r.deployment.service);
      const view = reviewClosedView(r.deployment, e.user, r.next);
      return announceIn(e, [service?.channel], view, deps);
    }
  }
}

/**
 * The owner's "Deploy to production" refused by a freeze: those who may override it get the
 * button that does, behind a confirmation; the engine decides again when it is clicked.
 */
async function overrideOffer(e: ActionEvent, deps: ReviewHandlerDeps): Promise<ViewAction | null> {
  const build = await deps.engine.get(e.value);
  const service = build ? findService(deps.config, build.service) : null;
  const next = build ? reviewTarget(deps.config, build) : null;
  if (!build || !service || !next || !mayOverrideFreeze(deps.config, e.user, next, service))
    return null;
  const freeze = activeFreeze(next, new Date());
  const why = freeze ? ` (${freeze.window.reason})` : '';
  return {
    id: 'promote_override',
    label: 'Deploy during the freeze',
    value: build.id,
    style: 'danger',
    confirm: {
      title: 'Override the freeze?',
      text: `${next.name} is frozen${why}. This deploys ${build.service} ${build.version} to ${next.name} anyway, and the deployment says it was deployed during the freeze.`,
      confirm: 'Deploy anyway',
      deny: 'Wait',
    },
  };
}
