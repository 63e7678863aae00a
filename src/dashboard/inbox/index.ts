import type { Route } from '../../http/router.js';
import { doneNotice } from '../actions.js';
import type { Viewer } from '../auth/index.js';
import { namesFor } from '../format.js';
import { type Html, html } from '../html.js';
import { sendDashboardPage } from '../layout.js';
import type { DashboardDeps } from '../types.js';
import { type Inbox, whatWaits } from './gather.js';
import { inboxSections } from './view.js';

/**
 * What waits for the person looking: deployments they may approve, builds they review as QA or
 * decide on as an owner, and their own deployments that move, wait or failed lately. Who may do
 * what is the engine's policy, asked with the inputs a dashboard click gives it (gather.ts).
 */
export function inboxRoutes(deps: DashboardDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/inbox',
      handler: async (req, res, _params, url) => {
        const viewer = deps.auth.viewerOf(req, res);
        if (!viewer) return;
        const main = await inboxMain(deps, viewer, url);
        sendDashboardPage(req, res, deps, viewer, {
          title: 'Inbox',
          section: 'inbox',
          live: 'all',
          main,
        });
      },
    },
  ];
}

async function inboxMain(deps: DashboardDeps, viewer: Viewer, url: URL): Promise<Html> {
  const done = doneNotice(url);
  const notice = done ? html`<div class="notice ok" role="status">${done}</div>` : '';
  const actor = viewer.actor;
  if (!actor) return html`<h1>Inbox</h1>${notice}${nobodySignedIn(deps)}`;
  const inbox = await whatWaits(deps, actor.id);
  const nameOf = await namesFor(deps, peopleIn(inbox));
  const who = actor.name ?? nameOf(actor.id);
  const sections = inboxSections(
    { deps, viewer, canAct: !viewer.readOnly, nameOf, now: deps.now() },
    inbox,
  );
  return html`<h1>Inbox</h1>${notice}
<p class="muted">What waits for ${who}: deployments you may approve, builds you review or decide on, and your own deployments.</p>
${sections}`;
}

function peopleIn(inbox: Inbox): string[] {
  return [
    ...inbox.approvals.map((i) => i.deployment.requestedBy),
    ...inbox.reviews.flatMap((i) => [
      i.deployment.requestedBy,
      ...i.verdicts.map((v) => v.approver),
    ]),
  ];
}

/** The inbox is one person's; without someone signed in, say how to become them. */
function nobodySignedIn(deps: DashboardDeps): Html {
  const what = html`<p>The inbox shows what waits for the person signed in: deployments they may approve, builds they review or decide on, and their own deployments that are moving, waiting or failed.</p>`;
  switch (deps.auth.mode) {
    case 'dev':
      return html`${what}<p>Nobody is picked yet. <a href="/auth/dev?return=%2Finbox">Pick who you are</a> to see their inbox and act on it.</p>`;
    case 'oidc':
      return html`${what}<p>You are not signed in. <a href="/login?return=%2Finbox">Sign in</a> to see your inbox.</p>`;
    case 'local':
      return html`${what}<p>Nobody can sign in here: this dashboard is read-only for this machine. To sign in and act from it, register Slipway with your OpenID provider, set SLIPWAY_OIDC_ISSUER, SLIPWAY_OIDC_CLIENT_ID, SLIPWAY_OIDC_CLIENT_SECRET, SLIPWAY_PUBLIC_URL and SLIPWAY_SESSION_SECRET, and restart slipway serve.</p>`;
  }
}
