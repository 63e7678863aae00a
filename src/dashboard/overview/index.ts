import type { IncomingMessage, ServerResponse } from 'node:http';
import { environmentsInOrder } from '../../config/lookup.js';
import type { Deployment, Lock } from '../../core/deployment.js';
import { canaryProgressOf } from '../../engine/index.js';
import type { TargetStatus } from '../../engine/queries.js';
import type { Route } from '../../http/router.js';
import { activeFreeze } from '../../policy/freeze.js';
import { doneNotice } from '../actions.js';
import { badge, type NameOf, namesFor, stateBadge, utc, when } from '../format.js';
import { type Html, html } from '../html.js';
import { sendDashboardPage } from '../layout.js';
import type { DashboardDeps } from '../types.js';
import { createDriftWatch, type Drift, type DriftWatch } from './drift.js';

/**
 * The overview: environments × services, as a team keeps it open. Each cell says what is live
 * (since when, by whom), what is moving and how far, what waits (queued, for approval), what
 * holds the target (locks, freezes, with reason and end) and whether the target has drifted
 * from the record. Updated live; at phone width each service becomes a card.
 */
export function overviewRoutes(deps: DashboardDeps): Route[] {
  const drift = createDriftWatch(deps);
  return [
    {
      method: 'GET',
      path: '/',
      handler: (req, res, _p, url) => overview(deps, drift, req, res, url),
    },
  ];
}

interface Cell {
  status: TargetStatus;
  drift: Drift | null;
  /** The newest deployment there, when it ended without going live after what is live. */
  lastFailed: Deployment | null;
}

async function overview(
  deps: DashboardDeps,
  drift: DriftWatch,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const viewer = deps.auth.viewerOf(req, res);
  if (!viewer) return;
  const now = deps.now();
  const targets = await deps.engine.status(null);
  const newest = new Map(
    (await deps.store.newestOn(targets)).map((d) => [key(d.service, d.environment), d]),
  );
  const cells = new Map<string, Cell>();
  for (const status of targets) {
    const live = status.active ? null : status.live;
    const last = newest.get(key(status.service, status.environment)) ?? null;
    cells.set(key(status.service, status.environment), {
      status,
      drift: drift.driftOf(status.service, status.environment, live, now),
      lastFailed: last && FAILED.has(last.state) ? last : null,
    });
  }
  const ids = targets.flatMap((t) => [
    t.live?.requestedBy,
    t.active?.requestedBy,
    ...t.pending.map((d) => d.requestedBy),
    ...t.locks.map((l) => l.owner),
  ]);
  for (const d of newest.values()) ids.push(d.requestedBy);
  const nameOf = await namesFor(deps, ids);
  const environments = environmentsInOrder(deps.config);
  const services = deps.config.services.map((s) => s.name);
  const done = doneNotice(url);
  const main = html`<h1>What is live where</h1>
${done ? html`<div class="notice ok" role="status">${done}</div>` : ''}
${summary(targets, cells)}
<div class="scroll"><table class="matrix stack">
<caption class="visually-hidden">Services by environment: the live version, what is moving, and what holds each target</caption>
<thead><tr><th scope="col">Service</th>${environments.map((e) => html`<th scope="col">${environmentHeading(e, now)}</th>`)}</tr></thead>
<tbody>${services.map(
    (service) =>
      html`<tr><th scope="row">${service}</th>${environments.map((e) => {
        const cell = cells.get(key(service, e.name));
        return html`<td data-label="${e.name}">${cell ? renderCell(cell, nameOf, now) : html`<span class="muted">not deployed here</span>`}</td>`;
      })}</tr>`,
  )}</tbody></table></div>
<p class="muted small">Read ${utc(now)}. Drift is the driver's own reading of a target, taken at most once a minute.</p>`;
  sendDashboardPage(req, res, deps, viewer, {
    title: 'Overview',
    section: 'overview',
    live: 'all',
    main,
  });
}

/** What a newest deployment ended as, when the team should see it beside what is live. */
const FAILED = new Set<Deployment['state']>(['failed', 'rolled_back']);

function key(service: string, environment: string): string {
  return `${service}\u0000${environment}`;
}

function summary(targets: TargetStatus[], cells: Map<string, Cell>): Html {
  const moving = targets.filter((t) => t.active).length;
  const waiting = targets.reduce(
    (n, t) => n + t.pending.filter((d) => d.state === 'awaiting_approval').length,
    0,
  );
  const queued = targets.reduce(
    (n, t) => n + t.pending.filter((d) => d.state !== 'awaiting_approval').length,
    0,
  );
  const locked = targets.filter((t) => t.locks.length > 0).length;
  const drifted = [...cells.values()].filter((c) => c.drift).length;
  const item = (count: number, one: string, many: string) =>
    html`<li><strong>${count}</strong> ${count === 1 ? one : many}</li>`;
  return html`<ul class="summary" aria-label="At a glance">
${item(moving, 'moving', 'moving')}${item(waiting, 'awaiting approval', 'awaiting approval')}${item(queued, 'queued', 'queued')}${item(locked, 'target locked', 'targets locked')}${item(drifted, 'target drifted', 'targets drifted')}
</ul>`;
}

function environmentHeading(
  environment: ReturnType<typeof environmentsInOrder>[number],
  now: Date,
): Html {
  const freeze = activeFreeze(environment, now);
  return html`${environment.name}${environment.protected ? html` <span class="badge idle">protected</span>` : ''}${
    freeze
      ? html`<br><span class="badge warn">frozen</span> <span class="small">${freeze.window.reason ?? 'freeze window'}, until ${when(freeze.endsAt, now)}</span>`
      : ''
  }`;
}

function renderCell(cell: Cell, nameOf: NameOf, now: Date): Html {
  const { status, drift, lastFailed } = cell;
  const parts: Html[] = [];
  const live = status.live;
  parts.push(
    live
      ? html`<div><a class="cell-version" href="/deployments/${live.id}">${live.version}</a></div>
<div class="small muted">since ${when(live.finishedAt ?? live.updatedAt, now)} by ${nameOf(live.requestedBy)}</div>`
      : html`<div class="muted">nothing deployed yet</div>`,
  );
  if (lastFailed)
    parts.push(
      html`<div>${stateBadge(lastFailed.state)} <a href="/deployments/${lastFailed.id}">${lastFailed.version}</a> <span class="small muted">${when(lastFailed.finishedAt ?? lastFailed.updatedAt, now)} by ${nameOf(lastFailed.requestedBy)}</span></div>`,
    );
  if (status.active) parts.push(moving(status.active, now));
  for (const d of status.pending) {
    parts.push(
      html`<div>${stateBadge(d.state)} <a href="/deployments/${d.id}">${d.version}</a> <span class="small muted">by ${nameOf(d.requestedBy)}</span></div>`,
    );
  }
  for (const lock of status.locks) parts.push(lockLine(lock, nameOf, now));
  if (drift)
    parts.push(
      html`<div>${badge('bad', 'drift')} <span class="small">${drift.text} <span class="muted">(read ${when(drift.at, now)})</span></span></div>`,
    );
  return html`${parts}`;
}

function moving(d: Deployment, now: Date): Html {
  const canary = canaryProgressOf(d);
  const step = canary
    ? html` <span class="small">canary step ${Math.min(canary.step + 1, canary.steps)} of ${canary.steps}, ${canary.weight}% of traffic${canary.paused ? ', paused' : ''}</span>`
    : '';
  return html`<div>${stateBadge(d.state)} <a href="/deployments/${d.id}">${d.version}</a>${step}
${d.progress ? html`<div class="small muted">${d.progress}</div>` : ''}<div class="small muted">started ${when(d.startedAt ?? d.createdAt, now)}</div></div>`;
}

function lockLine(lock: Lock, nameOf: NameOf, now: Date): Html {
  const what = lock.service ? 'locked' : 'environment locked';
  return html`<div>${badge('warn', what)} <span class="small">by ${nameOf(lock.owner)}${lock.reason ? html`: ${lock.reason}` : ''}${lock.expiresAt ? html`, until ${when(lock.expiresAt, now)}` : ''}</span></div>`;
}
