import { actionPath, type DashboardAction } from '../actions.js';
import type { Viewer } from '../auth/index.js';
import { type NameOf, stateBadge, when } from '../format.js';
import { type Html, html } from '../html.js';
import { csrfField } from '../layout.js';
import type { DashboardDeps } from '../types.js';
import {
  type ApprovalItem,
  FAILED_WINDOW_DAYS,
  type Inbox,
  type MineItem,
  type ReviewItem,
} from './gather.js';

/** What each section's rows are drawn with: who is looking, names, the clock. */
export interface InboxView {
  deps: Pick<DashboardDeps, 'auth'>;
  viewer: Viewer;
  /** Whether the page offers buttons: someone signed in who may act. */
  canAct: boolean;
  nameOf: NameOf;
  now: Date;
}

const RETURN = '/inbox';

export function inboxSections(view: InboxView, inbox: Inbox): Html {
  const total =
    inbox.approvals.length + inbox.reviews.length + inbox.moving.length + inbox.failed.length;
  return html`${total === 0 ? html`<p>Nothing waits for you.</p>` : ''}
${approvalsSection(view, inbox.approvals)}
${reviewsSection(view, inbox.reviews)}
${movingSection(view, inbox.moving)}
${failedSection(view, inbox.failed)}`;
}

function section(id: string, title: string, count: number, body: Html, empty: string): Html {
  return html`<section aria-labelledby="${id}">
<h2 id="${id}">${title} (${count})</h2>
${count === 0 ? html`<p class="muted">${empty}</p>` : body}
</section>`;
}

function table(caption: string, headings: string[], rows: Html[]): Html {
  const head = headings.map((h) => html`<th scope="col">${h}</th>`);
  return html`<div class="scroll"><table class="stack">
<caption class="visually-hidden">${caption}</caption>
<thead><tr>${head}</tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function approvalsSection(view: InboxView, items: ApprovalItem[]): Html {
  const headings = ['Deployment', 'Environment', 'Requested by', 'Requested', 'Approvals'];
  if (view.canAct) headings.push('Your verdict');
  const rows = items.map(({ deployment: d, approvals }) => {
    const what = `${d.service} ${d.version} to ${d.environment}`;
    return html`<tr>
${deploymentCell(d)}
<td data-label="Environment">${d.environment}</td>
<td data-label="Requested by">${view.nameOf(d.requestedBy)}</td>
<td data-label="Requested">${when(d.createdAt, view.now)}</td>
<td data-label="Approvals">${approvals} of ${d.approvalsRequired}</td>
${view.canAct ? html`<td data-label="Your verdict">${verdictForm(view, d.id, ['approve', 'reject'], what, 'reason')}</td>` : ''}
</tr>`;
  });
  return section(
    'inbox-approvals',
    'Approvals',
    items.length,
    table('Deployments waiting for your approval', headings, rows),
    'No deployment waits for your approval.',
  );
}

function reviewsSection(view: InboxView, items: ReviewItem[]): Html {
  const headings = ['Build', 'On', 'Deployed by', 'Succeeded', 'QA verdicts'];
  if (view.canAct) headings.push('Your decision');
  const rows = items.map((item) => {
    const d = item.deployment;
    return html`<tr>
${deploymentCell(d, 'Build')}
<td data-label="On">${d.environment} <span class="muted">(next: ${item.next})</span></td>
<td data-label="Deployed by">${view.nameOf(d.requestedBy)}</td>
<td data-label="Succeeded">${when(d.finishedAt, view.now)}</td>
<td data-label="QA verdicts">${verdicts(view, item)}</td>
${view.canAct ? html`<td data-label="Your decision">${reviewActions(view, item)}</td>` : ''}
</tr>`;
  });
  return section(
    'inbox-reviews',
    'Reviews',
    items.length,
    table('Builds waiting for your review or decision', headings, rows),
    'No build waits for your review or decision.',
  );
}

function verdicts(view: InboxView, item: ReviewItem): Html {
  if (item.verdicts.length === 0) return html`<span class="muted">none yet</span>`;
  return html`${item.verdicts.map(
    (v, i) =>
      html`${i > 0 ? ', ' : ''}${v.verdict === 'approve' ? 'approved' : 'rejected'} by ${view.nameOf(v.approver)}${v.comment ? html` (“${v.comment}”)` : ''}`,
  )}`;
}

function reviewActions(view: InboxView, item: ReviewItem): Html {
  const d = item.deployment;
  const build = `${d.service} ${d.version} on ${d.environment}`;
  const qa = item.review
    ? verdictForm(view, d.id, ['qa-approve', 'qa-reject'], build, 'qa-reason')
    : '';
  const promote = item.promote
    ? actionForm(view, d.id, 'promote', `Promote to ${item.next}`, build, 'primary')
    : '';
  const close = item.close ? actionForm(view, d.id, 'close-review', 'Close review', build) : '';
  const blocked = item.promoteBlocked
    ? html`<p class="small muted">${item.promoteBlocked}</p>`
    : '';
  return html`${qa}${promote || close ? html`<div class="actions">${promote}${close}</div>` : ''}${blocked}`;
}

function movingSection(view: InboxView, items: MineItem[]): Html {
  const headings = ['Deployment', 'Environment', 'State', 'Requested'];
  if (view.canAct) headings.push('Action');
  const rows = items.map(({ deployment: d, cancel }) => {
    const what = `${d.service} ${d.version} to ${d.environment}`;
    return html`<tr>
${deploymentCell(d)}
<td data-label="Environment">${d.environment}</td>
<td data-label="State">${stateBadge(d.state)}${d.progress ? html` <span class="small muted">${d.progress}</span>` : ''}</td>
<td data-label="Requested">${when(d.createdAt, view.now)}</td>
${view.canAct ? html`<td data-label="Action">${cancel ? actionForm(view, d.id, 'cancel', 'Cancel', what, 'danger') : html`<span class="muted">—</span>`}</td>` : ''}
</tr>`;
  });
  return section(
    'inbox-moving',
    'Your deployments in progress',
    items.length,
    table('Your deployments that are moving or waiting', headings, rows),
    'None of your deployments is moving or waiting.',
  );
}

function failedSection(view: InboxView, items: MineItem[]): Html {
  const headings = ['Deployment', 'Environment', 'State', 'Ended', 'Why'];
  if (view.canAct) headings.push('Action');
  const rows = items.map(({ deployment: d, retry }) => {
    const what = `${d.service} ${d.version} to ${d.environment}`;
    const action = retry?.allowed
      ? actionForm(view, d.id, 'retry', 'Retry', what, 'primary')
      : html`<span class="small muted">${retry?.reason ?? '—'}</span>`;
    return html`<tr>
${deploymentCell(d)}
<td data-label="Environment">${d.environment}</td>
<td data-label="State">${stateBadge(d.state)}</td>
<td data-label="Ended">${when(d.finishedAt, view.now)}</td>
<td data-label="Why">${d.outcome ?? html`<span class="muted">—</span>`}</td>
${view.canAct ? html`<td data-label="Action">${action}</td>` : ''}
</tr>`;
  });
  return section(
    'inbox-failed',
    `Your deployments that failed in the last ${FAILED_WINDOW_DAYS} days`,
    items.length,
    table(`Your deployments that failed in the last ${FAILED_WINDOW_DAYS} days`, headings, rows),
    `None of your deployments failed in the last ${FAILED_WINDOW_DAYS} days without being followed up.`,
  );
}

function deploymentCell(
  d: { id: string; service: string; version: string },
  label = 'Deployment',
): Html {
  return html`<th scope="row" data-label="${label}"><a href="/deployments/${encodeURIComponent(d.id)}">${d.service} ${d.version}</a></th>`;
}

/**
 * One form for a verdict and its opposite, so the optional reason typed once goes with either
 * button: the second posts to its own action (`formaction`).
 */
function verdictForm(
  view: InboxView,
  id: string,
  [yes, no]: [DashboardAction, DashboardAction],
  what: string,
  field: string,
): Html {
  const input = `${field}-${id}`;
  return html`<form class="actions" method="post" action="${actionPath(id, yes)}">
${csrfField(view.deps, view.viewer)}<input type="hidden" name="return" value="${RETURN}">
<label for="${input}">Reason <span class="muted small">(optional)</span></label>
<input id="${input}" name="reason" maxlength="500" autocomplete="off">
<button type="submit" class="primary">Approve<span class="visually-hidden"> ${what}</span></button>
<button type="submit" class="danger" formaction="${actionPath(id, no)}">Reject<span class="visually-hidden"> ${what}</span></button>
</form>`;
}

function actionForm(
  view: InboxView,
  id: string,
  action: DashboardAction,
  label: string,
  what: string,
  tone?: 'primary' | 'danger',
): Html {
  return html`<form class="inline" method="post" action="${actionPath(id, action)}">
${csrfField(view.deps, view.viewer)}<input type="hidden" name="return" value="${RETURN}">
<button type="submit"${tone ? html` class="${tone}"` : ''}>${label}<span class="visually-hidden"> ${what}</span></button>
</form>`;
}
