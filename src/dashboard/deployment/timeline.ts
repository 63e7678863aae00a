import type { Approval, Transition } from '../../core/deployment.js';
import { channelName } from '../../policy/text.js';
import type { RefusalRecord } from '../../store/types.js';
import { type NameOf, stateBadge, when } from '../format.js';
import { type Html, html } from '../html.js';

/** One moment of a deployment's story: a move, a verdict, or a request that was refused. */
export type TimelineEntry =
  | { kind: 'transition'; at: Date; transition: Transition }
  | { kind: 'approval'; at: Date; approval: Approval }
  | { kind: 'refusal'; at: Date; refusal: RefusalRecord };

/**
 * Everything that happened to a deployment, oldest first. A verdict is recorded before the move
 * it causes, so at the same instant verdicts and refusals come before moves; the first
 * transition (the request itself) always opens the story.
 */
export function timelineOf(
  transitions: readonly Transition[],
  approvals: readonly Approval[],
  refusals: readonly RefusalRecord[],
): TimelineEntry[] {
  const entries: TimelineEntry[] = [
    ...[...transitions]
      .sort((a, b) => a.seq - b.seq)
      .map((t) => ({ kind: 'transition' as const, at: t.at, transition: t })),
    ...approvals.map((a) => ({ kind: 'approval' as const, at: a.at, approval: a })),
    ...refusals.map((r) => ({ kind: 'refusal' as const, at: r.at, refusal: r })),
  ];
  const rank = (e: TimelineEntry) =>
    e.kind === 'transition' ? (e.transition.from === null ? 0 : 2) : 1;
  // Array.prototype.sort is stable: entries of one kind keep their order (transitions by seq).
  return entries.sort((a, b) => a.at.getTime() - b.at.getTime() || rank(a) - rank(b));
}

/** The story as an ordered list: who, when, what. `say` puts names in a reason's ids. */
export function timelineList(
  entries: readonly TimelineEntry[],
  nameOf: NameOf,
  say: (text: string) => string,
  now: Date,
): Html {
  if (entries.length === 0) return html`<p class="muted">Nothing recorded yet.</p>`;
  const items = entries.map(
    (e) => html`<li>${when(e.at, now)} · ${entryText(e, nameOf, say)}</li>`,
  );
  return html`<ol class="timeline">${items}</ol>`;
}

function entryText(e: TimelineEntry, nameOf: NameOf, say: (text: string) => string): Html {
  if (e.kind === 'approval') {
    const a = e.approval;
    const verdict = a.verdict === 'approve' ? 'approved' : 'rejected';
    return html`${nameOf(a.approver)} <strong>${verdict}</strong>${reasonOf(a.comment, say)}`;
  }
  if (e.kind === 'refusal') {
    const r = e.refusal;
    const from = r.channel ? `${r.source} in ${channelName(r.channel)}` : r.source;
    return html`${nameOf(r.actor)} asked to ${r.action} (${from}), <strong>refused</strong>: ${say(r.reason)}`;
  }
  const t = e.transition;
  const move =
    t.from === null
      ? html`asked for it, ${stateBadge(t.to)}`
      : t.from === t.to
        ? stateBadge(t.to)
        : html`${stateBadge(t.from)} → ${stateBadge(t.to)}`;
  return t.from === null
    ? html`${nameOf(t.actor)} ${move}${reasonOf(t.reason, say)}`
    : html`${nameOf(t.actor)}: ${move}${reasonOf(t.reason, say)}`;
}

function reasonOf(reason: string | null, say: (text: string) => string): Html | string {
  return reason ? html`<br><span class="small">${say(reason)}</span>` : '';
}
