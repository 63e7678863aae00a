/**
 * The page of one deployment, GET /deployments/:id: its whole story, live (`deployment:<id>`).
 *
 * - story.ts reads everything at once: the row, its transitions, verdicts, refused requests that
 *   named it, canary signals, whether it is what is live, the driver's output, where else it can
 *   be read (links.ts: chat cards, the trace, the driver's page; only http(s) becomes a link).
 * - page.ts writes <main>: heading and facts, actions, approvals, the canary or verification
 *   (delivery.ts, from what the engine stored in `driverRef`), output, links, and the timeline
 *   (timeline.ts: transitions, verdicts and refusals in time order).
 * - controls.ts offers the actions that fit the state, as the chat card does; they post to the
 *   routes of ../actions.ts, where the engine and policy decide. The output stream and the
 *   page's live updates are ../live.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../../http/router.js';
import { html } from '../html.js';
import { sendDashboardPage } from '../layout.js';
import type { DashboardDeps } from '../types.js';
import { deploymentMain, headingOf } from './page.js';
import { readStory } from './story.js';

export function deploymentRoutes(deps: DashboardDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/deployments/:id',
      handler: (req, res, params, url) => showDeployment(deps, req, res, params.id ?? '', url),
    },
  ];
}

async function showDeployment(
  deps: DashboardDeps,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  url: URL,
): Promise<void> {
  const viewer = deps.auth.viewerOf(req, res);
  if (!viewer) return;
  const story = await readStory(deps, id);
  if (!story) {
    return sendDashboardPage(req, res, deps, viewer, {
      title: 'No such deployment',
      section: null,
      live: null,
      status: 404,
      main: html`<h1>No such deployment</h1>
<p>Slipway has no deployment with the id <code>${id}</code>. Check the id, or look for it in <a href="/history?q=${encodeURIComponent(id)}">History</a>.</p>`,
    });
  }
  const d = story.deployment;
  sendDashboardPage(req, res, deps, viewer, {
    title: headingOf(d),
    section: null,
    live: `deployment:${d.id}`,
    main: deploymentMain(deps, viewer, story, url, deps.now()),
  });
}
