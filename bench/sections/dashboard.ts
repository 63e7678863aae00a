import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/logger.js';
import { down as dropDashboardIndexes } from '../../src/store/migrations/014-dashboard.js';
import { openRawDatabase } from '../../src/store/test-support/raw-database.js';
import { removeTestDir, settingsFor, tempDir } from '../../test/support/engine-harness.js';
import { testDatabaseUrl } from '../../test/support/postgres.js';
import type { BenchContext, Defer } from '../context.js';
import { dashboardConfig, SERVICES } from '../dashboard-data.js';
import { type SeedFigure, seedDeployments } from '../seed-deployments.js';
import { type LatencySummary, summarize } from '../stats.js';

export type Database = 'sqlite' | 'postgres';
export const PAGES = ['matrix', 'deployment', 'history', 'dora'] as const;
export type Page = (typeof PAGES)[number];

/** What each page's path is, for the table: the deployment and the service vary by request. */
export const PAGE_PATHS: Record<Page, string> = {
  matrix: 'GET /',
  deployment: 'GET /deployments/<id>',
  history: 'GET /history?service=<s>&environment=production',
  dora: 'GET /dora?since=90d',
};

export type PageFigures = Record<Page, LatencySummary>;

export interface DashboardDatabaseFigure {
  database: Database;
  seed: SeedFigure;
  /** As migrated: every index up to 014-dashboard. */
  indexed: PageFigures;
  /** Yardstick: the same requests once 014-dashboard's indexes are dropped. */
  withoutIndexes: PageFigures;
}

/** (g) The dashboard's pages over HTTP, at scale, on each database. */
export type DashboardFigure =
  | { skipped: string }
  | {
      deployments: number;
      requests: number;
      doraRequests: number;
      budgetSeconds: number;
      databases: DashboardDatabaseFigure[];
    };

/** Requests not counted before each page's measurement: caches, JIT, Postgres' plans. */
const WARMUP = 20;
const DORA_WARMUP = 2;

/**
 * Seeds `deployments` into a fresh SQLite file and a fresh Postgres schema, serves the dashboard
 * from each (the real app, read-only as it answers this machine without a sign-in provider),
 * and times each page over HTTP, one request at a time; then again without 014's indexes.
 */
export async function measureDashboard(ctx: BenchContext, defer: Defer): Promise<DashboardFigure> {
  const { dashboardDeployments: deployments, dashboardRequests: requests } = ctx.options;
  const doraRequests = ctx.options.dashboardDoraRequests;
  const config = Config.parse(dashboardConfig());
  const dir = tempDir('slipway-bench-dashboard-');
  defer(() => removeTestDir(dir));
  const databases: DashboardDatabaseFigure[] = [];
  for (const database of ctx.options.dashboardDatabases) {
    const url =
      database === 'sqlite' ? `sqlite://${join(dir, 'slipway.db')}` : await pgSchema(defer);
    ctx.log(`(g) seeding ${deployments.toLocaleString('en')} deployments into ${database}`);
    const { sample, ...seed } = await seedDeployments(url, deployments, Date.now(), {
      sample: requests,
      progress: ctx.log,
    });
    ctx.log(`  ${database}: seeded in ${seed.seconds} s (${JSON.stringify(seed.rows)})`);
    const measure = async (label: string) => {
      ctx.log(`  ${database}, ${label}: ${requests} requests per page, ${doraRequests} for DORA`);
      const app = await startApp(config, dir, url);
      try {
        return await measurePages(app, ctx, sample, requests, doraRequests);
      } finally {
        await app.app.stop();
      }
    };
    const indexed = await measure('with the indexes');
    await withRaw(url, (db) => dropDashboardIndexes(db));
    const withoutIndexes = await measure("without 014's indexes");
    databases.push({ database, seed, indexed, withoutIndexes });
  }
  return {
    deployments,
    requests,
    doraRequests,
    budgetSeconds: ctx.options.dashboardBudget,
    databases,
  };
}

/** A new schema on the test Postgres, dropped when the section ends. */
async function pgSchema(defer: Defer): Promise<string> {
  const base = await testDatabaseUrl();
  const schema = `slipway_bench_${randomBytes(4).toString('hex')}`;
  defer(async () => {
    const client = new pg.Client({ connectionString: base });
    client.on('error', () => {});
    await client.connect();
    try {
      await client.query(`drop schema if exists "${schema}" cascade`);
    } finally {
      await client.end();
    }
  });
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return url.toString();
}

async function withRaw(url: string, use: (db: Kysely<unknown>) => Promise<void>): Promise<void> {
  const raw = openRawDatabase(url);
  try {
    await use(raw.db as Kysely<unknown>);
  } finally {
    await raw.close();
  }
}

interface Running {
  app: App;
  url: string;
}

/**
 * The app as `slipway serve` builds it, on the seeded database, listening on loopback. The
 * engine is not started: nothing moves while the pages are timed.
 */
async function startApp(config: Config, dir: string, databaseUrl: string): Promise<Running> {
  const app = await createApp({
    config,
    settings: {
      ...settingsFor(dir, databaseUrl),
      // No provider and no person picker: the pages answer this machine, read-only.
      dashboard: {
        publicUrl: undefined,
        oidc: null,
        sessionSecrets: [],
        sessionLifetimeMs: 3_600_000,
        devLogin: false,
      },
    },
    log: createLogger({ level: 'silent' }),
  });
  const port = await app.http.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${port}` };
}

async function measurePages(
  running: Running,
  ctx: BenchContext,
  ids: readonly string[],
  requests: number,
  doraRequests: number,
): Promise<PageFigures> {
  const paths: Record<Page, (i: number) => string> = {
    matrix: () => '/',
    // A different deployment each time, spread over the two years: a page nobody just read.
    deployment: (i) => `/deployments/${ids[i % ids.length]}`,
    history: (i) => `/history?service=${SERVICES[i % SERVICES.length]}&environment=production`,
    dora: () => '/dora?since=90d',
  };
  const out = {} as PageFigures;
  for (const page of PAGES) {
    const dora = page === 'dora';
    const samples = await timeRequests(
      running.url,
      paths[page],
      {
        warmup: dora ? DORA_WARMUP : WARMUP,
        count: dora ? doraRequests : requests,
        budgetMs: ctx.options.dashboardBudget * 1000,
      },
      page === 'deployment' ? (i) => ids[i % ids.length] as string : null,
    );
    out[page] = summarize(samples);
    ctx.log(
      `    ${PAGE_PATHS[page]}: ${samples.length} requests, p50 ${out[page].p50} ms, p95 ${out[page].p95} ms, p99 ${out[page].p99} ms`,
    );
  }
  return out;
}

/**
 * Sends up to `warmup` and then up to `count` GETs one after another, each timed from sending
 * to the end of its body, within `budgetMs`: warming up stops once a quarter of it is spent,
 * measuring once all of it is (after at least 3), so that a page taking seconds without the
 * indexes still gives a figure in bounded time. Anything but 200 ends the run: a missing page is
 * not a fast one.
 */
async function timeRequests(
  base: string,
  pathOf: (i: number) => string,
  { warmup, count, budgetMs }: { warmup: number; count: number; budgetMs: number },
  mustContain: ((i: number) => string) | null,
): Promise<number[]> {
  const samples: number[] = [];
  const started = performance.now();
  const spent = () => performance.now() - started;
  let i = 0;
  const get = async () => {
    const path = pathOf(i);
    const sent = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { accept: 'text/html' } });
    const body = await res.text();
    const ms = performance.now() - sent;
    if (res.status !== 200)
      throw new Error(`(g) GET ${path} answered ${res.status}, not 200: ${body.slice(0, 300)}`);
    const expected = mustContain?.(i);
    if (expected && !body.includes(expected))
      throw new Error(`(g) GET ${path} answered 200 without naming ${expected}`);
    i++;
    return ms;
  };
  for (let w = 0; w < warmup && (w === 0 || spent() < budgetMs / 4); w++) await get();
  while (samples.length < count && (samples.length < 3 || spent() < budgetMs))
    samples.push(await get());
  return samples;
}
