import type { MessageRef, MessageView, ModalView } from '../../chat/types.js';
import { code, escapeText, mention, plural } from '../../chat/views/text.js';
import type { Approval, Deployment } from '../../core/deployment.js';
import { type Verdict, verdictLine } from '../approvals/view.js';

/**
 * The review of a build on a pre-production environment (seeds/001), after the asking:
 * verdicts, the owners' decision, and the announcements in the service's channel. The asking
 * itself is `approvalRequestView` with role `qa` or `owner`.
 */

/** How a review ended, as the messages of its QA and owners show it. */
export type ReviewOutcome =
  | { kind: 'promoted'; by: string; next: string }
  | { kind: 'closed'; by: string; next: string }
  | { kind: 'superseded'; newer: Deployment }
  /** A QA member rejected it: it cannot be promoted, only closed (the owners keep Close). */
  | { kind: 'rejected'; by: string; next: string };

/** The input of the form QA fill in to reject a build. */
export const REJECT_REASON = 'reason';

/**
 * Asked when QA click Reject: why, since the owners have to fix the build and the reason is
 * all they get. `origin` is the QA's message with the button.
 */
export function rejectReasonModal(d: Deployment, origin: MessageRef): ModalView {
  return {
    actionId: 'review_reject',
    value: d.id,
    origin,
    title: 'Reject this build',
    submit: 'Reject',
    cancel: 'Cancel',
    body: `*${onEnvironment(d)}* will not be promoted. The owners see your reason in their message.`,
    inputs: [
      {
        id: REJECT_REASON,
        label: 'Why is it rejected?',
        multiline: true,
        placeholder: 'What is wrong, and how to see it',
        maxLength: 2000,
      },
    ],
  };
}

/** "web 1.4.2 on staging", escaped. */
function onEnvironment(d: Deployment): string {
  return escapeText(`${d.service} ${d.version} on ${d.environment}`);
}

/**
 * A QA verdict: as a thread reply under each owner's message, or as the reviewer's own direct
 * message once they gave it (the buttons go: their verdict stands).
 */
export function reviewVerdictView(
  d: Deployment,
  verdict: Verdict,
  form: 'reply' | 'message',
  next?: string | null,
): MessageView {
  const approved = verdict.verdict === 'approve';
  const tone = approved ? 'success' : 'failure';
  if (form === 'reply') {
    return {
      title: `${mention(verdict.approver)} ${approved ? 'approved' : 'rejected'} ${onEnvironment(d)}`,
      tone,
      ...(verdict.comment ? { body: escapeText(verdict.comment) } : {}),
    };
  }
  const then = approved
    ? `The owners decide whether it goes to *${escapeText(next ?? 'the next environment')}*.`
    : 'The owners cannot promote it now.';
  return {
    title: `${onEnvironment(d)}: ${approved ? 'approved' : 'rejected'}`,
    tone,
    body: `${verdictLine({ ...verdict, comment: verdict.comment ?? null })}\n${then}`,
    context: [code(d.id)],
  };
}

/**
 * A QA or owner message once the review is over: promoted, closed, or replaced by a newer
 * build. No buttons: there is nothing left to decide here.
 */
export function reviewSettledView(
  d: Deployment,
  outcome: ReviewOutcome,
  approvals: readonly Approval[] = [],
): MessageView {
  const lines: string[] = [];
  let title: string;
  let tone: MessageView['tone'];
  switch (outcome.kind) {
    case 'promoted':
      title = `${onEnvironment(d)}: promoted to ${escapeText(outcome.next)}`;
      tone = 'success';
      lines.push(`Promoted to *${escapeText(outcome.next)}* by ${mention(outcome.by)}.`);
      break;
    case 'closed':
      title = `${onEnvironment(d)}: closed`;
      tone = 'neutral';
      lines.push(
        `Closed by ${mention(outcome.by)}; it will not go to *${escapeText(outcome.next)}*.`,
      );
      break;
    case 'superseded':
      title = `${onEnvironment(d)}: replaced by ${escapeText(outcome.newer.version)}`;
      tone = 'neutral';
      lines.push(
        `${escapeText(outcome.newer.version)} (${code(outcome.newer.id)}) replaced it on *${escapeText(d.environment)}*; nothing to decide here any more.`,
      );
      break;
    case 'rejected':
      title = `${onEnvironment(d)}: rejected`;
      tone = 'failure';
      lines.push(
        `It cannot go to *${escapeText(outcome.next)}*: a fixed build starts a new review.`,
      );
      break;
  }
  lines.push(...approvals.map(verdictLine));
  return { title, tone, body: lines.join('\n'), context: [code(d.id)] };
}

/**
 * The owners' message of a rejected build: the verdict, and Close as the one thing left to do
 * (Deploy would be refused, so it goes).
 */
export function reviewRejectedOwnerView(
  d: Deployment,
  outcome: Extract<ReviewOutcome, { kind: 'rejected' }>,
  approvals: readonly Approval[],
): MessageView {
  return {
    ...reviewSettledView(d, outcome, approvals),
    actions: [{ id: 'close', label: 'Close', value: d.id }],
  };
}

/** In the service's channel: "<@U> promoted web 1.4.2 from staging to production". */
export function promotionView(
  d: Deployment,
  promoted: Deployment,
  actor: string,
  extra: { carried?: readonly string[]; notes?: readonly string[] } = {},
): MessageView {
  const carried = extra.carried ?? [];
  const lines = (extra.notes ?? []).map((note) => escapeText(note));
  if (carried.length > 0) {
    lines.push(
      `QA approval by ${carried.map(mention).join(', ')} counts toward ${escapeText(promoted.environment)}.`,
    );
  }
  if (promoted.state === 'awaiting_approval') {
    lines.push(`It waits for ${plural(promoted.approvalsRequired, 'approval')} in total.`);
  }
  return {
    title: `${mention(actor)} promoted ${escapeText(`${d.service} ${d.version}`)} from ${escapeText(d.environment)} to ${escapeText(promoted.environment)}`,
    tone: 'progress',
    ...(lines.length > 0 ? { body: lines.join('\n') } : {}),
    context: [code(promoted.id)],
  };
}

/** In the service's channel: "<@U> closed the review of web 1.4.2 on staging". */
export function reviewClosedView(d: Deployment, actor: string, next?: string | null): MessageView {
  return {
    title: `${mention(actor)} closed the review of ${onEnvironment(d)}`,
    tone: 'neutral',
    body: `It will not be promoted${next ? ` to ${escapeText(next)}` : ''}.`,
    context: [code(d.id)],
  };
}
