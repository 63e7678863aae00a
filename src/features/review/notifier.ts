import { createPostedMessage, type PostedMessage } from '../../chat/posted/posted-message.js';
import { adoptMessage } from '../../chat/posted/reservation.js';
import type { MessageRef, MessageView } from '../../chat/types.js';
import { findService } from '../../config/index.js';
import type { Config } from '../../config/schema.js';
import type { Deployment } from '../../core/deployment.js';
import { deploymentSubject } from '../../core/message-subject.js';
import { membersOf } from '../../policy/principals.js';
import type { Store } from '../../store/types.js';
import type { ApprovalDeps } from '../approvals/notifier.js';
import { approvalRequestView, type Verdict } from '../approvals/view.js';
import {
  loadReview,
  previewUrl,
  qaVerdicts,
  type ReviewState,
  reviewTarget,
} from './engine-state.js';
import {
  type ReviewOutcome,
  reviewRejectedOwnerView,
  reviewSettledView,
  reviewVerdictView,
} from './view.js';

/**
 * The direct messages of a build's review (seeds/001): each of the service's QA gets Approve /
 * Reject, each owner gets Deploy to <next> / Close. Every message is rendered from the store
 * whenever anything happens to the review, so a restarted process or another replica shows the
 * same thing; the rows in `posted_messages` (`qa:<user>`, `owner:<user>`) make sure each message
 * is posted once. A newer build of the same line takes over the open review's messages (the
 * row of the newer build records the same ts), so a burst of builds updates one direct message
 * per person instead of leaving a trail of "replaced by …" ones.
 */

const QA = 'qa:';
const OWNER = 'owner:';

/** The review messages of one build, by purpose. */
export type ReviewMessages = Map<string, PostedMessage>;

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

/**
 * Whether a build gets a review: the engine says where it would be promoted to, and the service
 * has QA to try it. Without QA there is nobody to ask, and the owners promote from the channel
 * like any deploy, so nobody gets a direct message.
 */
export function reviewed(config: Config, d: Deployment): boolean {
  if (!reviewTarget(config, d)) return false;
  return (findService(config, d.service)?.qa.length ?? 0) > 0;
}

/**
 * A build succeeded where it is up for review: ask its QA and its owners, in the messages of
 * the build it replaced when that one's review was still open.
 */
export async function askReviewers(
  deps: ApprovalDeps,
  d: Deployment,
  slots: ReviewMessages,
): Promise<void> {
  if (!reviewed(deps.config, d)) return;
  const { qa, owners } = reviewersOf(deps.config, d);
  const purposes = [...qa.map((u) => `${QA}${u}`), ...owners.map((u) => `${OWNER}${u}`)];
  const inherited = await openMessagesBefore(deps, d);
  for (const purpose of purposes) {
    let slot = slots.get(purpose);
    if (!slot) {
      const known = await takeOver(deps, d.id, purpose, inherited.get(purpose));
      slot = newSlot(deps, d.id, purpose, known ?? undefined);
      slots.set(purpose, slot);
    }
    slot.show((posted) => render(deps, d.id, purpose, posted));
  }
}

/**
 * The build `d` replaces for its reviewers: the latest earlier deploy that succeeded on the
 * same environment from the same branch or tag (previews of other branches keep theirs).
 */
export async function buildBefore(store: Store, d: Deployment): Promise<Deployment | null> {
  const succeeded = await store.listDeployments({
    service: d.service,
    environment: d.environment,
    states: ['succeeded'],
    limit: 200,
  });
  const sameLine = (o: Deployment) =>
    d.ref ? o.ref?.type === d.ref.type && o.ref.name === d.ref.name : true;
  return (
    succeeded.find(
      (o) => o.id !== d.id && o.kind === 'deploy' && o.createdAt <= d.createdAt && sameLine(o),
    ) ?? null
  );
}

/** The posted review messages of the build before `d`, by purpose, if its review was open. */
async function openMessagesBefore(
  deps: ApprovalDeps,
  d: Deployment,
): Promise<Map<string, MessageRef>> {
  const found = new Map<string, MessageRef>();
  const before = await buildBefore(deps.store, d);
  if (!before) return found;
  const state = await loadReview(deps, before.id, 'review');
  // A decided review (promoted, closed) is a record of who decided: it stays as it is.
  if (!state.ok || state.decision || state.promoted) return found;
  for (const m of await deps.store.listPostedMessages(deploymentSubject(before.id))) {
    if (m.ts !== null && isReviewPurpose(m.purpose)) {
      found.set(m.purpose, { channel: m.channel, ts: m.ts });
    }
  }
  return found;
}

/**
 * Records `message` as this build's message for `purpose` before anything renders it, so the
 * earlier build's message finds it taken over and leaves it alone. Null when there is nothing
 * to take over, or another process is recording this build's message already (whose message
 * then waits for it).
 */
async function takeOver(
  deps: ApprovalDeps,
  id: string,
  purpose: string,
  message: MessageRef | undefined,
): Promise<MessageRef | null> {
  if (!message) return null;
  const key = { subject: deploymentSubject(id), purpose, to: { user: userOf(purpose) } };
  return adoptMessage(deps.store, key, message, deps.posted.timing.staleClaimMs);
}

/**
 * A verdict, a promotion or a close: every message of the review shows the new state, and a
 * verdict is also a thread reply under each owner's message.
 */
export async function refreshReview(
  deps: ApprovalDeps,
  d: Deployment,
  slots: ReviewMessages,
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
  const outcome = outcomeOf(deps.config, state);
  // Never posted yet and nothing to ask any more: its reader need not hear of it.
  if (outcome && !posted) return null;
  if (outcome?.kind === 'superseded' && (await takenOverBy(deps.store, id, outcome, purpose))) {
    return null;
  }
  if (outcome?.kind === 'rejected' && purpose.startsWith(OWNER)) {
    return reviewRejectedOwnerView(d, outcome, state.approvals);
  }
  if (outcome) return reviewSettledView(d, outcome, state.approvals);
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

/** The newer build shows its own review in this message now: nothing for this one to say. */
async function takenOverBy(
  store: Store,
  id: string,
  outcome: Extract<ReviewOutcome, { kind: 'superseded' }>,
  purpose: string,
): Promise<boolean> {
  const [mine, theirs] = await Promise.all([
    store.listPostedMessages(deploymentSubject(id)),
    store.listPostedMessages(deploymentSubject(outcome.newer.id)),
  ]);
  const ts = mine.find((m) => m.purpose === purpose)?.ts;
  return ts != null && theirs.some((m) => m.purpose === purpose && m.ts === ts);
}

function isReviewPurpose(purpose: string): boolean {
  return purpose.startsWith(QA) || purpose.startsWith(OWNER);
}

function outcomeOf(config: Config, state: ReviewState): ReviewOutcome | null {
  const { decision, promoted, newer, next } = state;
  if (decision?.decision === 'closed')
    return { kind: 'closed', by: decision.actor, next: next.name };
  if (decision?.decision === 'promoted' || promoted) {
    const by = decision?.actor ?? promoted?.requestedBy ?? 'slipway';
    return { kind: 'promoted', by, next: promoted?.environment ?? next.name };
  }
  if (newer) return { kind: 'superseded', newer };
  // The engine refuses to promote a build any of its QA rejected: the review is over but for
  // closing it.
  const rejection = qaVerdicts(config, state).find((a) => a.verdict === 'reject');
  if (rejection) return { kind: 'rejected', by: rejection.approver, next: next.name };
  return null;
}

/** The review messages posted before (by this process before a restart, or another one). */
async function loadSlots(deps: ApprovalDeps, id: string, slots: ReviewMessages): Promise<void> {
  for (const message of await deps.store.listPostedMessages(deploymentSubject(id))) {
    if (!isReviewPurpose(message.purpose) || message.ts === null || slots.has(message.purpose))
      continue;
    slots.set(message.purpose, newSlot(deps, id, message.purpose, message));
  }
}

function newSlot(
  deps: ApprovalDeps,
  id: string,
  purpose: string,
  known?: { channel: string; ts: string | null },
): PostedMessage {
  return createPostedMessage(deps.posted, {
    subject: deploymentSubject(id),
    purpose,
    to: { user: userOf(purpose) },
    ...(known?.ts ? { known: { channel: known.channel, ts: known.ts } } : {}),
  });
}

/** `qa:<user>`, `owner:<user>` → the user (a user id may hold colons: `teams:…`). */
function userOf(purpose: string): string {
  return purpose.slice(purpose.indexOf(':') + 1);
}
