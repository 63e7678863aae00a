import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardHarness, startDashboard } from '../../../test/support/dashboard.js';
import { figureCells } from '../../dora/render.js';
import { doraReport, windowSince } from '../../dora/report.js';
import type { DoraReport } from '../../dora/types.js';
import { escapeHtml } from '../auth/index.js';

/**
 * The DORA page after real deployments on staging (one of them a version the fake deploy program
 * crashes on), against `doraReport` over the same window: the page must say what the command says.
 */

let h: DashboardHarness;
beforeAll(async () => {
  h = await startDashboard({ ms: 60 });
  const deploy = async (service: string, version: string, committedMinutesAgo: number) => {
    const id = await h.request({
      actor: 'U-DEV1',
      source: 'chat',
      channel: 'C-WEB',
      kind: 'deploy',
      service,
      environment: 'staging',
      version,
      committedAt: new Date(Date.now() - committedMinutesAgo * 60_000),
    });
    return (await h.waitFinal(id)).state;
  };
  expect(await deploy('web', '1.0.0', 180)).toBe('succeeded');
  expect(await deploy('web', '1.0.1', 90)).toBe('succeeded');
  // fake-deploy.mjs exits 3 for a version containing "bad".
  expect(await deploy('web', '1.0.2-bad', 30)).not.toBe('succeeded');
  expect(await deploy('web', '1.0.3', 20)).toBe('succeeded');
  expect(await deploy('api', '2.0.0', 45)).toBe('succeeded');
}, 30_000);
afterAll(() => h.close());

async function staging(since = '30d'): Promise<DoraReport> {
  const window = windowSince(since, new Date());
  if (typeof window === 'string') throw new Error(window);
  const report = await doraReport(h.app.store, h.app.config, { window, environment: 'staging' });
  if (typeof report === 'string') throw new Error(report);
  return report;
}

/** The per-service table's row for `service`, as cell texts. */
function row(page: string, service: string): string[] {
  const tr = new RegExp(`<tr><th scope="row" data-label="Service">${service}</th>(.*?)</tr>`, 's');
  const cells = [...(tr.exec(page)?.[1] ?? '').matchAll(/<td[^>]*>(.*?)<\/td>/gs)];
  return cells.map((m) => (m[1] ?? '').replace(/<[^>]+>/g, '').trim());
}

function section(page: string, id: string): string {
  return new RegExp(`<section aria-labelledby="${id}">(.*?)</section>`, 's').exec(page)?.[1] ?? '';
}

describe('the DORA page', () => {
  it('shows the figures doraReport gives for the same window, per service and together', async () => {
    const res = await h.anonymous().get('/dora?since=30d&environment=staging');
    expect(res.status).toBe(200);
    const page = await res.text();
    const report = await staging();

    // The story as the report tells it: this is what the page must repeat.
    const web = report.targets.find((t) => t.service === 'web');
    const api = report.targets.find((t) => t.service === 'api');
    expect(web?.total).toMatchObject({ deployments: 3, changes: 4, failedChanges: 1 });
    expect(web?.total.leadTime.samples).toBe(3);
    expect(web?.total.timeToRestore.samples).toBe(1);
    expect(api?.total).toMatchObject({ deployments: 1, changes: 1, failedChanges: 0 });

    for (const t of [web, api]) {
      if (!t) throw new Error('target missing');
      const perWeek = Math.round(t.total.deploymentsPerWeek * 10) / 10;
      expect(row(page, t.service)).toEqual([
        'staging',
        `${perWeek} (${t.total.deployments} in all)`,
        ...figureCells(t.total).map(escapeHtml),
      ]);
    }
    expect(row(page, 'web')[3]).toBe('25% (1 of 4)');

    // Together: 4 deploys, 1 of 5 changes failed, web's one restore.
    const all = section(page, 'dora-all');
    const perWeek = Math.round(((4 * 7) / 30) * 10) / 10;
    expect(all).toContain(`<strong>${perWeek}</strong> deploys per week`);
    expect(all).toContain('4 in all');
    expect(all).toContain('<strong>20%</strong>');
    expect(all).toContain('1 of 5 changes failed');
    expect(all).toContain('From 1 restored failure.');

    // The weekly charts are drawn from the same report: this week holds every deploy.
    const week = web?.weeks.at(-1)?.week ?? '';
    const weeks = section(page, 'dora-weeks');
    expect(weeks).toMatch(/<desc id="dora-deploys-desc">[^<]*Deploys: 4 in all;/);
    expect(weeks).toContain(`<th scope="row">${week}</th><td>4</td>`);
    expect(weeks).toContain(`<th scope="row">${week}</th><td>20%</td>`);
    expect(weeks).toContain('<th scope="col">web</th><th scope="col">api</th>');
    expect(weeks.match(/<svg class="chart"[^>]*role="img"/g)).toHaveLength(4);

    // The form keeps what was asked, and the page is not live.
    expect(page).toContain('<option value="30d" selected>');
    expect(page).toContain('<option value="staging" selected>');
    expect(page).not.toContain('data-live=');
    expect(page).toContain('slipway report dora --since 30d --environment staging');
  });

  it('answers a period it does not offer with 400, saying so, and shows the last 30 days', async () => {
    const res = await h.anonymous().get('/dora?since=2y&environment=staging');
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain(
      '&quot;2y&quot; is not a period this page offers: pick 7, 30, 90, 180 or 365 days. Showing the last 30 days.',
    );
    expect(page).toContain('<h1>DORA metrics</h1>');
    expect(page).toContain('<option value="30d" selected>');
    expect(page).toMatch(/\(30 days\): every service in staging\./);
    expect(row(page, 'web')[3]).toBe('25% (1 of 4)');
  });

  it('answers an unknown service with 400 and a suggestion, and shows every service', async () => {
    const res = await h.anonymous().get('/dora?service=wbe&environment=staging');
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain(
      'Unknown service &quot;wbe&quot;. Did you mean web? Showing every service.',
    );
    expect(row(page, 'api')).toHaveLength(5);
  });

  it('shows one service alone under its own name', async () => {
    const page = await (await h.anonymous().get('/dora?service=api&environment=staging')).text();
    expect(page).toContain('<h2 id="dora-all">api in staging</h2>');
    expect(row(page, 'web')).toEqual([]);
  });
});
