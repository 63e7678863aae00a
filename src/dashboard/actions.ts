import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Refusal } from '../engine/index.js';
import type { Route } from '../http/router.js';
import { readForm } from './auth/index.js';
import { safeReturnPath } from './auth/local.js';
import { redirect } from './auth/pages.js';
import { html } from './html.js';
import { sendDashboardPage } from './layout.js';
import type { DashboardDeps } from './types.js';

/**
 * What a person can do from the dashboard, each the same engine call chat makes, through the
 * same policy, recorded the same way (source `dashboard`): the chat messages update because the
 * engine's events reach the notifier, whoever asked.
 */
export const ACTIONS = {
  approve: 'Your approval is recorded.',
  reject: 'Your rejection is recorded: the deployment will not go out.',
  cancel: 'The deployment is cancelled.',
  rollback: 'A rollback is on its way.',
  retry: 'The deployment is being tried again.',
  pause: 'The canary holds its weight until someone resumes it.',
  resume: 'The canary goes on.',
  'promote-canary': 'The canary is promoted: the live version is being replaced.',
  'qa-approve': 'Your review approval is recorded.',
  'qa-reject': 'Your review rejection is recorded.',
  promote: 'The build is promoted to the next environment.',
  'close-review': 'The review is closed: the build goes no further.',
} as const;

export type DashboardAction = keyof typeof ACTIONS;

export function isAction(name: string): name is DashboardAction {
  return Object.hasOwn(ACTIONS, name);
}

/** The sentence a page shows after `?done=<action>`; nothing for anything else. */
export function doneNotice(url: URL): string | null {
  const done = url.searchParams.get('done');
  return done && isAction(done) ? ACTIONS[done] : null;
}

/** Where a form posts to act on a deployment. */
export function actionPath(deploymentId: string, action: DashboardAction): string {
  return `/deployments/${encodeURIComponent(deploymentId)}/${action}`;
}

/** A refusal's code, as the HTTP status it answers with: state in the way, missing, or policy. */
const IN_THE_WAY = new Set([
  'not_cancellable',
  'not_retryable',
  'not_steerable',
  'not_reviewable',
  'not_awaiting_approval',
  'busy',
  'superseded',
  'already_voted',
  'already_decided',
  'already_reviewed',
  'already_promoted',
  'review_closed',
]);

export function actionRoutes(deps: DashboardDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/deployments/:id/:action',
      handler: (req, res, params) => act(deps, req, res, params.id ?? '', params.action ?? ''),
    },
  ];
}

async function act(
  deps: DashboardDeps,
  req: IncomingMessage,
  res: ServerResponse,
  deploymentId: string,
  action: string,
): Promise<void> {
  const form = await readForm(req);
  const actor = deps.auth.requireAction(req, res, form);
  if (!actor) return;
  const viewer = { actor, session: deps.auth.sessionOf(req), readOnly: false };
  if (!isAction(action)) {
    return sendDashboardPage(req, res, deps, viewer, {
      title: 'No such action',
      section: null,
      live: null,
      status: 404,
      main: html`<h1>No such action</h1><p>The dashboard has no action "${action}".</p>`,
    });
  }
  const text = (name: string): string | null => {
    const value = form[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 500) : null;
  };
  const caller = { deploymentId, actor: actor.id, channel: null, source: 'dashboard' as const };
  const result = await run(deps, action, caller, text('reason'));
  const back = safeReturnPath(text('return') ?? `/deployments/${encodeURIComponent(deploymentId)}`);
  if (result.ok) {
    deps.log.info({ actor: actor.id, deploymentId, action }, 'dashboard action done');
    return redirect(res, `${back}${back.includes('?') ? '&' : '?'}done=${action}`);
  }
  const status = result.code === 'not_found' ? 404 : IN_THE_WAY.has(result.code) ? 409 : 403;
  return sendDashboardPage(req, res, deps, viewer, {
    title: 'Not done',
    section: null,
    live: null,
    status,
    main: html`<h1>Not done</h1>
<div class="notice bad" role="alert"><p>${result.reason}</p>${result.suggestion ? html`<p>${result.suggestion}</p>` : ''}</div>
<p><a href="${back}">Back</a></p>`,
  });
}

type Caller = { deploymentId: string; actor: string; channel: null; source: 'dashboard' };

async function run(
  deps: DashboardDeps,
  action: DashboardAction,
  caller: Caller,
  reason: string | null,
): Promise<{ ok: true } | Refusal> {
  const { engine } = deps;
  switch (action) {
    case 'approve':
    case 'reject':
      return engine.verdict({ ...caller, verdict: action, comment: reason });
    case 'cancel':
      return engine.cancel({ ...caller, reason });
    case 'rollback':
      return engine.rollBack({ ...caller, reason });
    case 'retry':
      return engine.retry({ ...caller, reason });
    case 'pause':
    case 'resume':
      return engine.steer({ ...caller, action });
    case 'promote-canary':
      return engine.steer({ ...caller, action: 'promote' });
    case 'qa-approve':
      return engine.review({ ...caller, verdict: 'approve', comment: reason });
    case 'qa-reject':
      return engine.review({ ...caller, verdict: 'reject', comment: reason });
    case 'promote':
      return engine.promote(caller);
    case 'close-review':
      return engine.closeReview(caller);
  }
}
