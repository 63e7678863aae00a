import type { MessageView, ViewAction } from '../../chat/types.js';
import { refLabel, stateLabel } from '../../chat/views/deployment.js';
import {
  code,
  escapeText,
  firstLine,
  link,
  mention,
  mentions,
  plural,
  sentence,
} from '../../chat/views/text.js';
import type { Approval, ApprovalVerdict, Deployment } from '../../core/deployment.js';

/**
 * Who a direct message asks (seeds/001): `approver`, someone in an environment's
 * `approvals.from` while the deployment waits; `qa`, the service's QA once a build is on a
 * preview; `owner`, the service's owners, who promote it or close it (features/review/view.ts shows
 * what follows).
 */
export type ApprovalRole = 'approver' | 'qa' | 'owner';

export interface ApprovalRequest {
  role: ApprovalRole;
  /** Where the build can be tried (the preview's URL). */
  url?: string | null;
  /** The QA of the service, named in the owners' message. */
  qa?: readonly string[];
  /** Where a promotion deploys to ("production"). */
  next?: string | null;
  approvals?: readonly Approval[];
}

export interface Verdict {
  approver: string;
  verdict: ApprovalVerdict;
  comment?: string | null;
}

/** The direct message asking one person for a decision, with the buttons to give it. */
export function approvalRequestView(d: Deployment, request: ApprovalRequest): MessageView {
  const what = `*${escapeText(d.service)}* ${escapeText(d.version)}`;
  const context = [code(d.id)];
  if (request.role === 'approver') {
    const approved = (request.approvals ?? []).filter((a) => a.verdict === 'approve').length;
    const lines = [
      `${mention(d.requestedBy)} asked to deploy ${what} to *${escapeText(d.environment)}*.`,
      `It needs ${plural(d.approvalsRequired, 'approval')} (${approved} so far). The requester cannot approve it.`,
    ];
    if (d.reason) lines.push(`Reason: ${escapeText(d.reason)}`);
    return {
      title: `Approval needed: ${escapeText(`${d.service} ${d.version} → ${d.environment}`)}`,
      tone: 'waiting',
      body: lines.join('\n'),
      context,
      actions: verdictButtons(d),
    };
  }
  const where = request.url ? ` at ${link(request.url)}` : '';
  const from = d.ref ? ` (${refLabel(d.ref).toLowerCase()} ${code(d.ref.name)})` : '';
  const title = `${escapeText(`${d.service} ${d.version}`)} is on ${escapeText(d.environment)}`;
  const links = request.url ? [{ label: `Open ${d.environment}`, url: request.url }] : undefined;
  if (request.role === 'qa') {
    // Others' verdicts so far; the buttons stay, so each QA member can still give their own.
    const verdicts = (request.approvals ?? []).map(verdictLine);
    return {
      title,
      tone: 'waiting',
      body: [
        `${what}${from} is on *${escapeText(d.environment)}*${where}: try it, then approve or reject it.`,
        ...verdicts,
      ].join('\n'),
      context,
      actions: verdictButtons(d, 'review_'),
      ...(links ? { links } : {}),
    };
  }
  const next = request.next ?? 'production';
  return {
    title,
    tone: 'waiting',
    body: [
      `${what}${from} is on *${escapeText(d.environment)}*${where}.`,
      `QA: ${mentions(request.qa ?? [])}. Their verdicts arrive in this thread.`,
    ].join('\n'),
    context,
    actions: [
      {
        id: 'promote',
        label: `Deploy to ${next}`,
        value: d.id,
        style: 'primary',
        confirm: {
          title: `Deploy to ${next}?`,
          text: `This deploys ${d.service} ${d.version} to ${next}.`,
          confirm: 'Deploy',
          deny: 'Not yet',
        },
      },
      { id: 'close', label: 'Close', value: d.id },
    ],
    ...(links ? { links } : {}),
  };
}

/**
 * A verdict, as a thread reply ("<@U1> approved web 1.4.2") under the deployment's message and
 * the owners' messages, or as the verdict-giver's own message once decided (no buttons).
 */
export function verdictView(
  d: Deployment,
  verdict: Verdict,
  form: 'reply' | 'message',
): MessageView {
  const word = verdict.verdict === 'approve' ? 'Approved' : 'Rejected';
  const tone = verdict.verdict === 'approve' ? 'success' : 'failure';
  const comment = verdict.comment ? `: ${escapeText(verdict.comment)}` : '';
  const build = escapeText(`${d.service} ${d.version}`);
  if (form === 'reply') {
    return {
      title: `${mention(verdict.approver)} ${word.toLowerCase()} ${build} for ${escapeText(d.environment)}`,
      tone,
      ...(comment ? { body: `${word}${comment}` } : {}),
    };
  }
  return {
    title: `${build} → ${escapeText(d.environment)}: ${word.toLowerCase()}`,
    tone,
    body: sentence(`${word} by ${mention(verdict.approver)}${comment}`),
    context: [code(d.id)],
  };
}

/**
 * An approval request once nothing more is asked of its reader: who decided, and where the
 * deployment went. Replaces the buttons in every approver's direct message.
 */
export function settledApprovalView(d: Deployment, approvals: readonly Approval[]): MessageView {
  const rejected = approvals.some((a) => a.verdict === 'reject');
  const approved = approvals.some((a) => a.verdict === 'approve');
  const lines = approvals.map(verdictLine);
  lines.push(settledLine(d));
  return {
    title: `${escapeText(`${d.service} ${d.version} → ${d.environment}`)}: ${rejected ? 'rejected' : approved ? 'approved' : 'no longer waiting'}`,
    tone: rejected ? 'failure' : approved ? 'success' : 'neutral',
    body: lines.join('\n'),
    context: [code(d.id)],
  };
}

function settledLine(d: Deployment): string {
  switch (d.state) {
    case 'awaiting_approval':
      return 'Still waiting for more approvals.';
    case 'queued':
      return 'It is queued to run.';
    case 'running':
    case 'verifying':
      return 'It is deploying.';
    default:
      return d.outcome
        ? `Now ${stateLabel(d.state)}: ${escapeText(firstLine(d.outcome))}`
        : `Now ${stateLabel(d.state)}.`;
  }
}

/**
 * Approve / Reject. A build's review uses `review_approve` / `review_reject`: a verdict on a
 * build already deployed, not an approval a waiting deployment needs.
 */
function verdictButtons(d: Deployment, prefix: '' | 'review_' = ''): ViewAction[] {
  return [
    { id: `${prefix}approve`, label: 'Approve', value: d.id, style: 'primary' },
    { id: `${prefix}reject`, label: 'Reject', value: d.id, style: 'danger' },
  ];
}

/** `Approved by <@U-QA1>: looks good.` */
export function verdictLine(a: Pick<Approval, 'approver' | 'verdict' | 'comment'>): string {
  const word = a.verdict === 'approve' ? 'Approved' : 'Rejected';
  return sentence(
    `${word} by ${mention(a.approver)}${a.comment ? `: ${escapeText(a.comment)}` : ''}`,
  );
}
