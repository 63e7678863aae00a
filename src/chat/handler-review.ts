import type { Logger } from 'pino';
import { findService } from '../config/index.js';
import type { Config } from '../config/schema.js';
import { type Engine, reviewTarget } from '../engine/index.js';
import { activeFreeze, mayOverrideFreeze } from '../policy/index.js';
import { announceIn, answerPrivately } from './replies.js';
import type { ChatClient, InboundEvent, ViewAction } from './types.js';
import { promotionView, refusalView, reviewClosedView } from './views/index.js';
import { code, mention } from './views/text.js';

type ActionEvent = Extract<InboundEvent, { kind: 'action' }>;

interface ReviewHandlerDeps {
  engine: Engine;
  chat: ChatClient;
  config: Config;
  log: Logger;
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
    case 'review_reject': {
      const verdict = e.actionId === 'review_approve' ? 'approve' : 'reject';
      const r = await deps.engine.review({ ...caller, verdict });
      if (!r.ok) await answerPrivately(e, refusalView(r.reason, r.suggestion), deps);
      return;
    }
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
