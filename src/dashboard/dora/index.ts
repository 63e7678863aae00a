import type { Config } from '../../config/schema.js';
import { footnotes } from '../../dora/render.js';
import { doraReport, windowSince } from '../../dora/report.js';
import type { DoraReport } from '../../dora/types.js';
import type { Route } from '../../http/router.js';
import { utc } from '../format.js';
import { type Html, html } from '../html.js';
import { sendDashboardPage } from '../layout.js';
import type { DashboardDeps } from '../types.js';
import { figureCards, figureTable, round, targetFigures, targetName } from './figures.js';
import { cliCommand, type DoraFilter, PERIODS, readFilter } from './filters.js';
import { selectionOf } from './selection.js';
import { weeklyCharts } from './weekly.js';

/**
 * GET /dora: the DORA metrics `slipway report dora` prints, for a period, a service and an
 * environment picked in a form, as cards, weekly charts and a table per service. One report per
 * view: it holds every target and every week, and the charts and tables are drawn from it
 * (about half a second for 90 days of a million deployments, src/dora/README.md). Not live: the
 * figures move by the week, and a reload is enough.
 */
export function doraRoutes(deps: DashboardDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/dora',
      handler: async (req, res, _params, url) => {
        const viewer = deps.auth.viewerOf(req, res);
        if (!viewer) return;
        const { filter, problems } = readFilter(url.searchParams, deps.config);
        const window = windowSince(filter.since, deps.now());
        // The periods offered are all durations windowSince reads: never a sentence here.
        if (typeof window === 'string') throw new Error(window);
        const report = await doraReport(deps.store, deps.config, { window, ...namesOf(filter) });
        // readFilter checked the names with the same rules: a sentence here is a bug.
        if (typeof report === 'string') throw new Error(report);
        sendDashboardPage(req, res, deps, viewer, {
          title: 'DORA metrics',
          section: 'dora',
          live: null,
          main: page(deps.config, filter, problems, report),
          status: problems.length > 0 ? 400 : 200,
        });
      },
    },
  ];
}

function namesOf(filter: DoraFilter): { service?: string; environment?: string } {
  return {
    ...(filter.service ? { service: filter.service } : {}),
    ...(filter.environment ? { environment: filter.environment } : {}),
  };
}

function page(config: Config, filter: DoraFilter, problems: string[], report: DoraReport): Html {
  const days = (report.until.getTime() - report.since.getTime()) / 86_400_000;
  return html`<h1>DORA metrics</h1>
${problems.length > 0 ? html`<div class="notice bad">${problems.map((p) => html`<p>${p}</p>`)}</div>` : ''}
${filters(config, filter)}
<p>From ${utc(report.since)} to ${utc(report.until)} (${round(days)} days): ${scope(filter)}.</p>
${report.targets.length === 0 ? html`<p>No service to report on: add a service to slipway.yaml.</p>` : body(report)}
<h2>How these are counted</h2>
${footnotes(report).map((line) => html`<p class="small">${line}</p>`)}
<p class="small">The same numbers in a terminal: <code>${cliCommand(filter)}</code> (add <code>--weeks</code> for every week, <code>--json</code> for every failure).</p>`;
}

function body(report: DoraReport): Html {
  const selection = selectionOf(report);
  const only = report.targets.length === 1 ? report.targets[0] : undefined;
  const perTarget =
    report.targets.length > 1
      ? report.targets.map(
          (t) => html`<h3>${targetName(t)}</h3>${figureCards(targetFigures(t), 4)}`,
        )
      : '';
  return html`<section aria-labelledby="dora-all">
<h2 id="dora-all">${only ? targetName(only) : 'All selected services together'}</h2>
${figureCards(selection, 3)}
</section>
<section aria-labelledby="dora-weeks">
<h2 id="dora-weeks">By week</h2>
${weeklyCharts(report, selection)}
</section>
<section aria-labelledby="dora-services">
<h2 id="dora-services">By service</h2>
${figureTable(report.targets)}
${perTarget}
</section>`;
}

function scope(filter: DoraFilter): string {
  const who = filter.service ?? 'every service';
  return filter.environment
    ? `${who} in ${filter.environment}`
    : `${who} in production (its protected environments, else the last of its chain)`;
}

const PERIOD_LABELS: Record<(typeof PERIODS)[number], string> = {
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
  '180d': 'Last 180 days',
  '365d': 'Last 365 days',
};

function filters(config: Config, filter: DoraFilter): Html {
  const option = (value: string, label: string, current: string | undefined) =>
    html`<option value="${value}"${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="/dora" class="filters">
<div><label for="dora-since">Since</label><select id="dora-since" name="since">${PERIODS.map((p) => option(p, PERIOD_LABELS[p], filter.since))}</select></div>
<div><label for="dora-service">Service</label><select id="dora-service" name="service">${option('', 'All services', filter.service)}${config.services.map((s) => option(s.name, s.name, filter.service))}</select></div>
<div><label for="dora-environment">Environment</label><select id="dora-environment" name="environment">${option('', "Each service's production", filter.environment)}${config.environments.map((e) => option(e.name, e.name, filter.environment))}</select></div>
<div><button type="submit">Show</button></div>
</form>`;
}
