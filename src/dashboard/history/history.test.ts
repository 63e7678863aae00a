import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browser,
  type DashboardHarness,
  startDashboard,
} from '../../../test/support/dashboard.js';
import { webRequest } from '../../../test/support/engine-harness.js';
import { newRefusalId } from '../../core/ids.js';
import type { DeployRequest } from '../../engine/index.js';
import type { RefusalRecord } from '../../store/types.js';
import { escapeHtml } from '../auth/index.js';
import { cell } from './export.js';
import { personIds } from './filters.js';

/**
 * The history of the scenario (test/support/engine-harness.ts): two deployments that went out,
 * a deploy refused by the freeze on `frozen`, and one refused because its requester deploys
 * nowhere; the store's own refusals for paging and escaping, each under a service of its own.
 */

let h: DashboardHarness;
let dev: Browser;
const seen: Record<'web' | 'api' | 'frozen' | 'stranger', string> = {
  web: '',
  api: '',
  frozen: '',
  stranger: '',
};
const codes: Record<'frozen' | 'stranger', string> = { frozen: '', stranger: '' };

const ask = (changes: Partial<DeployRequest>): DeployRequest =>
  webRequest({ version: '1.0.0', ...changes });

async function refused(request: DeployRequest): Promise<string> {
  const r = await h.app.engine.request(request);
  if (r.ok) throw new Error(`${request.environment} was not refused`);
  return r.code;
}

beforeAll(async () => {
  h = await startDashboard({ ms: 100 });
  dev = await h.signIn('U-DEV1');
  seen.web = await h.request(ask({ reason: 'Ships the new login form' }));
  seen.api = await h.request(
    ask({ actor: 'U-DEV2', channel: 'C-API', service: 'api', version: '2.0.0' }),
  );
  await Promise.all([h.waitFinal(seen.web), h.waitFinal(seen.api)]);
  codes.frozen = await refused(ask({ environment: 'frozen', version: '1.1.0' }));
  codes.stranger = await refused(ask({ actor: 'U-STRANGER', version: '1.2.0' }));
  const refusals = await h.app.store.listRefusals();
  const byActor = (actor: string) => refusals.find((r) => r.actor === actor)?.id ?? '';
  seen.frozen = refusals.find((r) => r.environment === 'frozen')?.id ?? '';
  seen.stranger = byActor('U-STRANGER');
}, 30_000);
afterAll(() => h.close());

async function historyPage(browser: Browser, query = '', status = 200): Promise<string> {
  const res = await browser.get(`/history${query}`);
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return text;
}

/** The ids of the page's rows, in order. */
function rows(page: string): string[] {
  return Array.from(page.matchAll(/<tr data-entry="([^"]+)"/g), (m) => m[1] ?? '');
}

function olderLink(page: string): string | null {
  const href = /<a href="([^"]+)" rel="next">Older<\/a>/.exec(page)?.[1];
  return href ? href.replaceAll('&amp;', '&') : null;
}

function refusal(overrides: Partial<RefusalRecord>): RefusalRecord {
  return {
    id: newRefusalId(),
    at: new Date(),
    actor: 'U-DEV1',
    source: 'api',
    channel: null,
    action: 'deploy',
    service: 'web',
    environment: 'staging',
    version: '9.9.9',
    deploymentId: null,
    code: 'unknown_service',
    reason: 'There is no such service.',
    correlationId: null,
    ...overrides,
  };
}

describe('the history page', () => {
  it('lists deployments and refused requests newest first, refusals with their code and reason', async () => {
    const page = await historyPage(dev);
    expect(rows(page)).toEqual([seen.stranger, seen.frozen, seen.api, seen.web]);
    expect(page.match(/<h1>/g)).toHaveLength(1);
    expect(page).toContain('aria-current="page">History</a>');
    expect(page).toContain(`<span class="badge bad">refused: ${codes.frozen}</span>`);
    expect(page).toContain(`<span class="badge bad">refused: ${codes.stranger}</span>`);
    const frozen = (await h.app.store.listRefusals({ environment: 'frozen' }))[0];
    expect(frozen?.reason).toMatch(/freeze/);
    expect(page).toContain(escapeHtml(frozen?.reason ?? ''));
    expect(page).toContain(`<a href="/deployments/${seen.web}">${seen.web}</a>`);
    expect(page).toContain('<span class="badge ok">succeeded</span>');
    expect(page).toContain('Asked: Ships the new login form');
    expect(page).toContain('up to 10,000 rows');
    // Phone width: every cell of the stacked table says what it is.
    expect(page).toContain('<table class="stack history">');
    const cells = page.match(/<td\b[^>]*>/g) ?? [];
    expect(cells.length).toBe(4 * 7);
    for (const td of cells) expect(td).toMatch(/data-label="[^"]+"/);
    // Every filter has its label.
    for (const field of ['service', 'environment', 'state', 'person', 'since', 'until', 'q']) {
      expect(page).toContain(`<label for="history-${field}">`);
      expect(page).toContain(`id="history-${field}" name="${field}"`);
    }
  });

  it('narrows by each filter, and keeps them in its form', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const cases: Array<[string, string[]]> = [
      ['?service=api', [seen.api]],
      ['?service=web', [seen.stranger, seen.frozen, seen.web]],
      ['?environment=frozen', [seen.frozen]],
      ['?state=refused', [seen.stranger, seen.frozen]],
      ['?state=succeeded', [seen.api, seen.web]],
      ['?state=failed', []],
      ['?person=U-DEV2', [seen.api]],
      ['?person=U-STRANGER', [seen.stranger]],
      ['?q=2.0.0', [seen.api]],
      ['?q=LOGIN+form', [seen.web]],
      ['?q=freeze', [seen.frozen]],
      [`?q=${seen.api}`, [seen.api]],
      ['?service=web&state=refused&environment=staging', [seen.stranger]],
      [`?since=${today}&until=${today}`, [seen.stranger, seen.frozen, seen.api, seen.web]],
      [`?since=${tomorrow}`, []],
      [`?until=${yesterday}`, []],
    ];
    for (const [query, expected] of cases) {
      const page = await historyPage(dev, query);
      expect(rows(page), query).toEqual(expected);
      if (expected.length === 0) expect(page).toContain('Nothing matches these filters.');
    }
    const page = await historyPage(dev, '?service=api&state=succeeded&q=2.0.0');
    expect(page).toContain('<option value="api" selected>api</option>');
    expect(page).toContain('<option value="succeeded" selected>succeeded</option>');
    expect(page).toContain('name="q" type="search" value="2.0.0"');
  });

  it('finds an id by key: a deployment with the refusals that named it, or one refusal', async () => {
    const named = refusal({
      service: 'api',
      environment: 'staging',
      action: 'cancel',
      deploymentId: seen.api,
      code: 'not_cancellable',
      reason: 'It has finished.',
    });
    await h.app.store.recordRefusal(named);
    expect(rows(await historyPage(dev, `?q=${seen.api}`))).toEqual([named.id, seen.api]);
    expect(rows(await historyPage(dev, `?q=${seen.api}&state=refused`))).toEqual([named.id]);
    expect(rows(await historyPage(dev, `?q=${seen.frozen}`))).toEqual([seen.frozen]);
    expect(rows(await historyPage(dev, `?q=${seen.frozen}&service=api`))).toEqual([]);
  });

  it('searches words in the last 90 days unless given a since day, and says so', async () => {
    const old = refusal({
      service: 'archive',
      reason: 'Ancient history',
      at: new Date(Date.now() - 100 * 86_400_000),
    });
    await h.app.store.recordRefusal(old);
    const recent = await historyPage(dev, '?q=ancient');
    expect(rows(recent)).toEqual([]);
    expect(recent).toMatch(
      /The search read the last 90 days, from \d{4}-\d\d-\d\d: to search further back, pick a since day\./,
    );
    const since = new Date(Date.now() - 200 * 86_400_000).toISOString().slice(0, 10);
    const further = await historyPage(dev, `?q=ancient&since=${since}`);
    expect(rows(further)).toEqual([old.id]);
    expect(further).not.toContain('The search read the last');
    // Without words to search, nothing is cut: the old refusal is listed.
    expect(rows(await historyPage(dev, '?service=archive'))).toEqual([old.id]);
  });

  it('finds a listed person by key, name or platform id, and all of their ids', () => {
    const config = {
      people: {
        alice: {
          slack: 'U0ALICE001',
          teams: 'a1b2c3d4-0000-4000-8000-000000000001',
          name: 'Alice Doe',
          direct: 'slack' as const,
        },
      },
    };
    const all = ['alice', 'U0ALICE001', 'teams:a1b2c3d4-0000-4000-8000-000000000001'];
    expect(personIds(config, 'alice')).toEqual(all);
    expect(personIds(config, 'alice doe')).toEqual(all);
    expect(personIds(config, 'U0ALICE001')).toEqual(all);
    expect(personIds(config, 'U0BOB00001')).toEqual(['U0BOB00001']);
  });

  it('pages fifty at a time with Older, keeping the filters, never splitting a millisecond', async () => {
    // 120 refusals a millisecond apart, except five that share one across the first page's end.
    const base = Date.now() - 3_600_000;
    const made: RefusalRecord[] = [];
    for (let i = 0; i < 120; i++) {
      const ms = i >= 47 && i <= 51 ? 47 : i;
      made.push(refusal({ service: 'batch', at: new Date(base - ms), reason: `try ${i}` }));
    }
    await Promise.all(made.map((r) => h.app.store.recordRefusal(r)));
    // Newest first, ties by id as the store orders them.
    const expected = [...made]
      .sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1))
      .map((r) => r.id);
    const pages: string[][] = [];
    let path: string | null = '?service=batch';
    while (path) {
      const page = await historyPage(dev, path.replace(/^\/history/, ''));
      pages.push(rows(page));
      const next = olderLink(page);
      if (next) expect(next).toContain('service=batch');
      path = next;
    }
    // The first page stops before the shared millisecond instead of cutting it in two.
    expect(pages.map((p) => p.length)).toEqual([47, 50, 23]);
    expect(pages.flat()).toEqual(expected);
    const first = await historyPage(dev, '?service=batch');
    expect(olderLink(first)).toBe(
      `/history?service=batch&before=${encodeURIComponent(new Date(base - 46).toISOString())}`,
    );
    expect(first).not.toContain('>Newest</a>');
    const second = await historyPage(dev, olderLink(first)?.replace('/history', '') ?? '');
    expect(second).toContain('<a href="/history?service=batch">Newest</a>');
  });

  it('says which filter it could not read, with status 400, and still shows the form', async () => {
    const page = await historyPage(dev, '?since=2024-02-30&state=exploded&service=web', 400);
    expect(page).toContain('&quot;2024-02-30&quot; is not a day: write it as YYYY-MM-DD');
    expect(page).toContain('&quot;exploded&quot; is not a state');
    expect(page).toContain('aria-invalid="true" aria-describedby="history-since-error"');
    expect(page).toContain('<form method="get" action="/history" class="filters"');
    expect(page).toContain('<option value="web" selected>web</option>');
    expect(rows(page)).toEqual([]);
    const order = await historyPage(dev, '?since=2024-03-02&until=2024-03-01', 400);
    expect(order).toContain('Until (2024-03-01) is before since (2024-03-02)');
    const cursor = await historyPage(dev, '?before=yesterday', 400);
    expect(cursor).toContain('The link to older entries is damaged');
  });
});

describe('the downloads', () => {
  const nasty = '=HYPERLINK("http://evil.test"), said "hi", then left';

  it('writes CSV per RFC 4180 with a header row, formulas defused, as an attachment', async () => {
    const odd = refusal({ service: 'csvtest', reason: nasty, actor: '@everyone', version: '-1' });
    await h.app.store.recordRefusal(odd);
    const res = await dev.get('/history.csv?service=csvtest');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    const day = new Date().toISOString().slice(0, 10);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="slipway-history-${day}.csv"`,
    );
    const text = await res.text();
    const lines = text.split('\r\n');
    expect(lines).toEqual([
      'type,id,at,service,environment,version,action,state,code,person,personName,source,channel,reason,outcome,deploymentId',
      `refusal,${odd.id},${odd.at.toISOString()},csvtest,staging,'-1,deploy,refused,unknown_service,'@everyone,'@everyone,api,,"'=HYPERLINK(""http://evil.test""), said ""hi"", then left",,`,
      '',
    ]);
  });

  it('quotes and defuses each kind of cell', () => {
    expect(cell(null)).toBe('');
    expect(cell('plain')).toBe('plain');
    expect(cell('a,b')).toBe('"a,b"');
    expect(cell('two\nlines')).toBe('"two\nlines"');
    expect(cell('+1')).toBe("'+1");
    expect(cell('@x')).toBe("'@x");
    expect(cell('\tx')).toBe("'\tx");
    expect(cell('=1+1, "q"')).toBe(`"'=1+1, ""q"""`);
  });

  it('exports in JSON exactly what the page lists for the same filters', async () => {
    for (const query of ['?service=web', '?state=refused', '?person=U-DEV2', '?q=freeze', '']) {
      const page = await historyPage(dev, query);
      const res = await dev.get(`/history.json${query}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const body = (await res.json()) as {
        truncated: boolean;
        limit: number;
        filters: Record<string, unknown>;
        entries: Array<{ type: string; id: string; at: string; state: string; reason: string }>;
      };
      expect(body.limit).toBe(10_000);
      expect(body.truncated).toBe(false);
      // The page shows fifty; the export has them all, in the same order.
      expect(body.entries.map((e) => e.id).slice(0, rows(page).length), query).toEqual(rows(page));
      if (!olderLink(page)) expect(body.entries).toHaveLength(rows(page).length);
    }
    const res = await dev.get('/history.json?environment=frozen');
    const body = (await res.json()) as { filters: object; entries: object[] };
    expect(body.filters).toMatchObject({ environment: 'frozen', state: 'any', before: null });
    expect(body.entries).toEqual([
      expect.objectContaining({
        type: 'refusal',
        id: seen.frozen,
        state: 'refused',
        code: codes.frozen,
        person: 'U-DEV1',
        environment: 'frozen',
        version: '1.1.0',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      }),
    ]);
    const web = (
      (await (await dev.get('/history.json?state=succeeded&service=web')).json()) as {
        entries: object[];
      }
    ).entries;
    expect(web).toEqual([
      expect.objectContaining({
        type: 'deployment',
        id: seen.web,
        state: 'succeeded',
        action: 'deploy',
        outcome: expect.any(String),
      }),
    ]);
  });

  it('refuses filters it cannot read with 400, saying which', async () => {
    const csv = await dev.get('/history.csv?until=31/12/2024');
    expect(csv.status).toBe(400);
    expect(await csv.text()).toContain('until: "31/12/2024" is not a day');
    const json = await dev.get('/history.json?state=nope');
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({
      error: 'invalid_filter',
      fields: { state: expect.stringContaining('"nope" is not a state') },
    });
  });

  it('answers only whom the page answers', async () => {
    // In slipway dev the dashboard answers this machine only: a relayed request is someone else.
    const relayed = { 'x-forwarded-for': '203.0.113.9' };
    for (const path of ['/history', '/history.csv', '/history.json']) {
      const res = await h.anonymous().get(path, relayed);
      expect(res.status, path).toBe(403);
      expect(await res.text()).not.toContain(seen.web);
    }
  });
});
