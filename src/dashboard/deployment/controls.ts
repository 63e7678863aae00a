import type { Deployment } from '../../core/deployment.js';
import type { CanaryProgress, VerifyProgress } from '../../engine/index.js';
import { actionPath, type DashboardAction } from '../actions.js';
import type { Viewer } from '../auth/index.js';
import { type Html, html } from '../html.js';
import { csrfField } from '../layout.js';
import type { DashboardDeps } from '../types.js';

/** What the page knows beyond the deployment row, for which actions make sense now. */
export interface ActionFacts {
  /** It is what is live on its target (the target's last success). */
  live: boolean;
  canary: CanaryProgress | null;
  verify: VerifyProgress | null;
}

/**
 * The actions that fit the deployment's state, as its chat card offers them. Only an offer: the
 * engine and policy decide when the form is posted (who may, four-eyes, freezes, a state that
 * moved on meanwhile).
 */
export function actionsFor(d: Deployment, facts: ActionFacts): DashboardAction[] {
  const out: DashboardAction[] = [];
  if (d.state === 'awaiting_approval') out.push('approve', 'reject');
  if (d.state === 'running' && facts.canary && !facts.canary.promoting)
    out.push('promote-canary', facts.canary.paused ? 'resume' : 'pause');
  // A verification whose metrics could not decide waits for a person: keep it, or check again.
  if (d.state === 'verifying' && facts.verify?.asked) out.push('promote-canary', 'resume');
  const pending = ['requested', 'awaiting_approval', 'queued'].includes(d.state);
  // The engine stops a running deploy by rolling it back, but never a rollback halfway.
  const moving = (d.state === 'running' || d.state === 'verifying') && d.kind === 'deploy';
  if (pending || moving) out.push('cancel');
  // As on the chat card: without a version known to go back to, a rollback has nowhere to go.
  if (d.state === 'succeeded' && facts.live && d.previousVersion) out.push('rollback');
  if (d.state === 'failed' || d.state === 'rolled_back') out.push('retry');
  return out;
}

/** The forms for `actions`; each posts with the session's form token and comes back here. */
export function actionForms(
  deps: Pick<DashboardDeps, 'auth'>,
  viewer: Viewer,
  d: Deployment,
  actions: readonly DashboardAction[],
  facts: ActionFacts,
): Html {
  const hidden = html`${csrfField(deps, viewer)}<input type="hidden" name="return" value="/deployments/${d.id}">`;
  const form = (action: DashboardAction, body: Html) =>
    html`<form method="post" action="${actionPath(d.id, action)}">${hidden}${body}</form>`;
  const reason = (id: string, label: string) =>
    html`<div><label for="${id}">${label}</label><br><input id="${id}" name="reason" maxlength="500" autocomplete="off"></div>`;
  const ask = (id: string, summary: string, text: string, body: Html) =>
    html`<details id="${id}"><summary>${summary}</summary><p>${text}</p>${body}</details>`;
  const blocks: Html[] = [];
  if (actions.includes('approve'))
    blocks.push(
      form(
        'approve',
        html`${reason('verdict-reason', 'Comment (optional)')}
<div class="actions"><button type="submit" class="primary">Approve</button>
<button type="submit" class="danger" formaction="${actionPath(d.id, 'reject')}">Reject</button></div>`,
      ),
    );
  const steering: Html[] = [];
  if (actions.includes('pause'))
    steering.push(
      form('pause', html`<button type="submit">Pause at ${facts.canary?.weight ?? 0}%</button>`),
    );
  if (actions.includes('resume'))
    steering.push(
      form(
        'resume',
        html`<button type="submit">${facts.canary ? 'Resume the canary' : 'Check its metrics again'}</button>`,
      ),
    );
  if (steering.length > 0) blocks.push(html`<div class="actions">${steering}</div>`);
  if (actions.includes('promote-canary'))
    blocks.push(
      ask(
        'act-promote',
        'Promote now…',
        facts.canary
          ? `This skips the remaining steps and their checks: ${d.version} takes all of ${d.environment}.`
          : `This keeps ${d.version} in ${d.environment} without a verdict from its metrics.`,
        form(
          'promote-canary',
          html`<button type="submit" class="primary">Promote ${d.version}</button>`,
        ),
      ),
    );
  if (actions.includes('cancel')) blocks.push(cancelForm(d, facts, form, reason, ask));
  if (actions.includes('rollback')) {
    const to = d.previousVersion;
    blocks.push(
      ask(
        'act-rollback',
        'Roll back…',
        `This deploys ${to} to ${d.environment} again, replacing ${d.version}.`,
        form(
          'rollback',
          html`${reason('rollback-reason', 'Reason (optional)')}<p><button type="submit" class="danger">Roll back to ${to}</button></p>`,
        ),
      ),
    );
  }
  if (actions.includes('retry'))
    blocks.push(
      form(
        'retry',
        html`<p>Deploys ${d.version} to ${d.environment} again, as a new deployment.</p>${reason('retry-reason', 'Reason (optional)')}<p><button type="submit" class="primary">Retry ${d.version}</button></p>`,
      ),
    );
  return html`${blocks}`;
}

function cancelForm(
  d: Deployment,
  facts: ActionFacts,
  form: (action: DashboardAction, body: Html) => Html,
  reason: (id: string, label: string) => Html,
  ask: (id: string, summary: string, text: string, body: Html) => Html,
): Html {
  const started = d.state === 'running' || d.state === 'verifying';
  // Before it starts, cancelling touches nothing: one button, as on the chat card.
  if (!started)
    return form(
      'cancel',
      html`<p><button type="submit">Cancel this deployment</button> <span class="small muted">${d.version} will not go out to ${d.environment}.</span></p>`,
    );
  // Once it runs, cancelling rolls the target back: the button is behind a second step.
  const canary = facts.canary && !facts.canary.promoting;
  const text = canary
    ? `Its traffic goes back to the live version and the canary is removed; ${d.previousVersion ?? 'the live version'} keeps serving ${d.environment}.`
    : `This stops the deployment to ${d.environment} and rolls it back${d.previousVersion ? ` to ${d.previousVersion}` : ''}.`;
  return ask(
    'act-cancel',
    canary ? 'Abort…' : 'Cancel…',
    text,
    form(
      'cancel',
      html`${reason('cancel-reason', 'Reason (optional)')}<p><button type="submit" class="danger">${canary ? 'Abort the canary' : 'Stop and roll back'}</button></p>`,
    ),
  );
}
