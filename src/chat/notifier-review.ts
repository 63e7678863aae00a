import { findService } from '../config/index.js';
import type { Config } from '../config/schema.js';
import type { Deployment } from '../core/deployment.js';
import { loadReview, previewUrl, type ReviewState, reviewTarget } from '../engine/review-state.js';
import { membersOf } from '../policy/principals.js';
import { createMessageSlot, type MessageSlot } from './message-slot.js';
import type { ApprovalDeps } from './notifier-approvals.js';
import type { MessageView } from './types.js';
import {
  approvalRequestView,
  type ReviewOutcome,
  reviewSettledView,
  reviewVerdictView,
  type Verdict,
} from './views/index.js';

/**
 * The direct messages of a build's review (seeds/001; issue 3, item 4): each of the service's
 * QA gets Approve / Reject, each owner gets Deploy to <next> / Close. Every message is
 * rendered from the store whenever anything happens to the review, so a restarted process or
 * another replica shows the same thing; the rows in `chat_messages` (`qa:<user>`,
 * `owner:<user>`) make sure each message is posted once.
 */

const QA = 'qa:';
const OWNER = 'owner:';

/** The review messages of one build, by purpose. */
export type ReviewSlots = Map<string, MessageSlot>;

/**
 * Who is asked: the service's QA except whoever deployed the build (they may not review it),
 * and its owners. The CLI identity has no chat; `*` cannot be messaged one by one.
 */
export function reviewersOf(config: Config, d: Deployment): { qa: string[]; owners: string[] } {
  const service = findService(config, d.service);
  if (!service) return { qa: [], owners: [] };
  const people = (list: readonly string[]) =>
    membersOf(config, list, service).users.filter((user) => user !== config.operator);
  return {
    qa: people(service.qa).filter((user) => user !== d.requestedBy),
    owners: people(service.owners),
  };
}

/** A build succeeded where it is up for review: ask its QA and its owners. */
export function askReviewers(deps: ApprovalDeps, d: Deployment, slots: ReviewSlots): void {
  if (!reviewTarget(deps.config, d)) return;
  const { qa, owners } = reviewersOf(deps.config, d);
  const purposes = [...qa.map((u) => `${QA}${u}`), ...owners.map((u) => `${OWNER}${u}`)];
  for (const purpose of purposes) {
    slotFor(deps, d.id, purpose, slots).show((posted) => render(deps, d.id, purpose, posted));
  }
}

/**
 * A verdict, a promotion or a close: every message of the review shows the new state, and a
 * verdict is also a thread reply under each owner's message.
 */
export async function refreshReview(
  deps: ApprovalDeps,
  d: Deployment,
  slots: ReviewSlots,
  verdict?: Verdict,
): Promise<void> {
  await loadSlots(deps, d.id, slots);
  for (const [purpose, slot] of slots) {
    if (verdict && purpose.startsWith(OWNER)) slot.reply(reviewVerdictView(d, verdict, 'reply'));
    slot.show((posted) => render(deps, d.id, purpose, posted));
  }
}

/** One review message as the store says it should look now; null: nothing to show. */
async function render(
  deps: ApprovalDeps,
  id: string,
  purpose: string,
  posted: boolean,
): Promise<MessageView | null> {
  const state = await loadReview(deps, id, 'review');
  if (!state.ok) return null;
  const d = state.deployment;
  const outcome = outcomeOf(state);
  // Never posted yet and nothing to ask any more: its reader need not hear of it.
  if (outcome) return posted ? reviewSettledView(d, outcome, state.approvals) : null;
  const url = previewUrl(d);
  if (purpose.startsWith(QA)) {
    const user = purpose.slice(QA.length);
    const own = state.approvals.find((a) => a.approver === user);
    if (own) return posted ? reviewVerdictView(d, own, 'message', state.next.name) : null;
    return approvalRequestView(d, { role: 'qa', url, approvals: state.approvals });
  }
  const { qa } = reviewersOf(deps.config, d);
  return approvalRequestView(d, { role: 'owner', url, qa, next: state.next.name });
}

function outcomeOf(state: ReviewState): ReviewOutcome | null {
  const { decision, promoted, newer, next } = state;
  if (decision?.decision === 'closed')
    return { kind: 'closed', by: decision.actor, next: next.name };
  if (decision?.decision === 'promoted' || promoted) {
    const by = decision?.actor ?? promoted?.requestedBy ?? 'slipway';
    return { kind: 'promoted', by, next: promoted?.environment ?? next.name };
  }
  if (newer) return { kind: 'superseded', newer };
  return null;
}

/** The review messages posted before (by this process before a restart, or another one). */
async function loadSlots(deps: ApprovalDeps, id: string, slots: ReviewSlots): Promise<void> {
  for (const message of await deps.store.listMessages(id)) {
    const ours = message.purpose.startsWith(QA) || message.purpose.startsWith(OWNER);
    if (!ours || message.ts === null || slots.has(message.purpose)) continue;
    slots.set(message.purpose, newSlot(deps, id, message.purpose, message));
  }
}

function slotFor(deps: ApprovalDeps, id: string, purpose: string, slots: ReviewSlots) {
  let slot = slots.get(purpose);
  if (!slot) {
    slot = newSlot(deps, id, purpose);
    slots.set(purpose, slot);
  }
  return slot;
}

function newSlot(
  deps: ApprovalDeps,
  id: string,
  purpose: string,
  known?: { channel: string; ts: string | null },
): MessageSlot {
  const user = purpose.slice(purpose.indexOf(':') + 1);
  return createMessageSlot(deps.slotDeps, {
    deploymentId: id,
    purpose,
    channel: () => deps.chat.openDirect(user),
    ...(known?.ts ? { known: { channel: known.channel, ts: known.ts } } : {}),
  });
}
