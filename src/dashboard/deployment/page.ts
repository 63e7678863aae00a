import { findEnvironment, findService } from '../../config/lookup.js';
import { ACTIVE_STATES, type Deployment, isFinal } from '../../core/deployment.js';
import { channelName, describePrincipals } from '../../policy/text.js';
import { doneNotice } from '../actions.js';
import type { Viewer } from '../auth/index.js';
import { span, stateBadge, when } from '../format.js';
import { type Html, html } from '../html.js';
import type { DashboardDeps } from '../types.js';
import { actionForms, actionsFor } from './controls.js';
import { canarySection, verifySection } from './delivery.js';
import type { DeploymentStory } from './story.js';
import { timelineList, timelineOf } from './timeline.js';

/** The heading's words, also the page's title. */
export function headingOf(d: Deployment): string {
  return `${d.service} ${d.version} → ${d.environment}`;
}

/** The page's <main>: the deployment, what can be done, and how it got here. */
export function deploymentMain(
  deps: Pick<DashboardDeps, 'auth' | 'config'>,
  viewer: Viewer,
  story: DeploymentStory,
  url: URL,
  now: Date,
): Html {
  const d = story.deployment;
  const done = doneNotice(url);
  return html`<p class="small"><a href="/history">History</a></p>
<h1>${headingOf(d)} ${stateBadge(d.state)}</h1>
${done ? html`<div class="notice ok" role="status">${done}</div>` : ''}
${progressOf(story)}
${factsOf(story, now)}
${actionsSection(deps, viewer, story)}
${approvalsSection(deps, story, now)}
${canarySection({ deployment: d, plan: story.plan, signals: story.signals, nameOf: story.nameOf, now })}
${verifySection({ deployment: d, plan: story.plan, signals: story.signals, nameOf: story.nameOf, now })}
${outputSection(story)}
${linksSection(story)}
<section><h2 id="timeline-h">Timeline</h2>
${timelineList(timelineOf(story.transitions, story.approvals, story.refusals), story.nameOf, story.say, now)}
</section>`;
}

/** How long a run took: "took 3 min", or a few seconds in words rather than "now". */
function tookText(ms: number): string {
  const text = span(ms);
  return text === 'now' ? 'took a few seconds' : `took ${text}`;
}

/** The driver's last word while the deployment moves ("ready 2 of 3"). */
function progressOf(story: DeploymentStory): Html | string {
  const d = story.deployment;
  if (isFinal(d.state) || !d.progress) return '';
  return html`<p class="progress"><strong>Now:</strong> ${story.say(d.progress)}</p>`;
}

function factsOf(story: DeploymentStory, now: Date): Html {
  const d = story.deployment;
  const fact = (term: string, value: Html | string) => html`<dt>${term}</dt><dd>${value}</dd>`;
  const source = d.channel ? `${d.source}, in ${channelName(d.channel)}` : d.source;
  const took =
    d.startedAt && d.finishedAt
      ? ` (${tookText(d.finishedAt.getTime() - d.startedAt.getTime())})`
      : '';
  return html`<dl class="facts">
${fact('Kind', d.kind === 'rollback' ? 'rollback: an earlier version again' : 'deploy')}
${fact('Asked by', story.nameOf(d.requestedBy))}
${fact('From', source)}
${fact('Asked', when(d.createdAt, now))}
${d.startedAt ? fact('Started', when(d.startedAt, now)) : ''}
${d.finishedAt ? fact('Finished', html`${when(d.finishedAt, now)}${took}`) : ''}
${fact('Previous version', d.previousVersion ?? html`<span class="muted">none known</span>`)}
${d.ref ? fact(d.ref.type === 'tag' ? 'Tag' : 'Branch', html`<code>${d.ref.name}</code>`) : ''}
${d.reason ? fact('Reason', story.say(d.reason)) : ''}
${d.outcome ? fact('Outcome', story.say(d.outcome)) : ''}
${d.freezeOverride ? fact('Freeze', 'went out during a freeze window, overridden with deploy!') : ''}
${fact('Approvals needed', String(d.approvalsRequired))}
${story.holder ? fact('Queued behind', html`<a href="/deployments/${story.holder.id}">${headingOf(story.holder)}</a> (${story.nameOf(story.holder.requestedBy)})`) : ''}
${fact('Driver', d.driver)}
${fact('Id', html`<code>${d.id}</code>`)}
${fact('Correlation id', html`<code>${d.correlationId}</code>`)}
</dl>`;
}

function actionsSection(
  deps: Pick<DashboardDeps, 'auth'>,
  viewer: Viewer,
  story: DeploymentStory,
): Html | string {
  const d = story.deployment;
  const actions = actionsFor(d, story.facts);
  if (actions.length === 0) return '';
  const body =
    !viewer.readOnly && viewer.actor
      ? html`<p class="small muted">Policy decides when you press: the same rules as in chat.</p>
${actionForms(deps, viewer, d, actions, story.facts)}`
      : html`<p>${signInHint(deps, d)}</p>`;
  return html`<section><h2 id="actions-h">Actions</h2>${body}</section>`;
}

function signInHint(deps: Pick<DashboardDeps, 'auth'>, d: Deployment): Html | string {
  if (deps.auth.mode === 'oidc')
    return html`<a href="/login?return=${encodeURIComponent(`/deployments/${d.id}`)}">Sign in</a> to act on it.`;
  if (deps.auth.mode === 'dev') return html`<a href="/auth/dev">Pick who you are</a> to act on it.`;
  return 'This dashboard is read-only here: act on it from chat or the CLI.';
}

function approvalsSection(
  deps: Pick<DashboardDeps, 'config'>,
  story: DeploymentStory,
  now: Date,
): Html | string {
  const d = story.deployment;
  if (d.approvalsRequired === 0 && story.approvals.length === 0) return '';
  const approved = story.approvals.filter((a) => a.verdict === 'approve').length;
  const env = findEnvironment(deps.config, d.environment);
  const from = env?.approvals.from.length
    ? html`<p class="small">Who may approve: ${describePrincipals(deps.config, env.approvals.from, findService(deps.config, d.service))}; whoever asked never counts.</p>`
    : '';
  const items = story.approvals.map(
    (a) =>
      html`<li>${story.nameOf(a.approver)} <strong>${a.verdict === 'approve' ? 'approved' : 'rejected'}</strong> ${when(a.at, now)}${a.comment ? html`: ${story.say(a.comment)}` : ''}</li>`,
  );
  return html`<section><h2 id="approvals-h">Approvals</h2>
<p>${approved} ${approved === 1 ? 'approval' : 'approvals'} of the ${d.approvalsRequired} needed.</p>${from}
${items.length > 0 ? html`<ul>${items}</ul>` : html`<p class="muted">No verdict yet.</p>`}</section>`;
}

function outputSection(story: DeploymentStory): Html {
  const d = story.deployment;
  const head = html`<h2 id="output-h">Output</h2>`;
  if (!story.output.kept) {
    // The driver's own page about the work (a CI run, a GitOps application) holds its output.
    const where = story.links.driver.at(-1);
    const read = where?.url
      ? html`Read it at <a href="${where.url}">${where.label}</a>.`
      : 'Read it where the driver runs the work.';
    return html`<section>${head}<p>The ${d.driver} driver keeps no output Slipway can read. ${read}</p></section>`;
  }
  const out = story.output.output;
  const active = ACTIVE_STATES.includes(d.state);
  if (!out && !active) {
    const none = isFinal(d.state)
      ? 'No run of it left output.'
      : 'It has not started: its output shows here once it runs.';
    return html`<section>${head}<p class="muted">${none}</p></section>`;
  }
  const text = out?.text ?? '';
  // The page's script appends what the stream sends after `data-length` characters, until the
  // runs end (live.ts); a refresh of the page replaces the text whole. The newline after <pre>
  // is dropped by the HTML parser, so a text that starts with one keeps it and its length.
  const stream =
    !isFinal(d.state) || out?.running ? `/deployments/${encodeURIComponent(d.id)}/output` : null;
  const where = out?.locations.length
    ? html`<p class="small muted">Kept by the driver at ${out.locations.map((l, i) => html`${i > 0 ? ', ' : ''}<code>${l}</code>`)}.</p>`
    : '';
  return html`<section>${head}${text === '' ? html`<p class="muted">No output yet.</p>` : ''}
<pre id="output" class="output" tabindex="0" role="region" aria-label="Output" data-length="${text.length}"${stream ? html` data-stream="${stream}"` : ''}>
${text}</pre>${where}</section>`;
}

function linksSection(story: DeploymentStory): Html {
  const { chat, trace, driver, configured } = story.links;
  const items = [...chat, ...(trace ? [trace] : []), ...driver, ...configured].map(
    (l) =>
      html`<li>${l.url ? html`<a href="${l.url}">${l.label}</a>` : l.label}${l.note ? html` <span class="small muted">(${l.note})</span>` : ''}</li>`,
  );
  return html`<section><h2 id="links-h">Links</h2>${
    items.length > 0
      ? html`<ul>${items}</ul>`
      : html`<p class="muted">No chat message, trace or driver page is recorded for it.</p>`
  }</section>`;
}
