import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BenchContext, Defer } from '../context.js';
import { rssMiB, sleep } from '../processes.js';
import { sendCommand, until } from '../send.js';
import { channelOf, startSlipwayWith } from '../slipway.js';
import { round } from '../stats.js';
import {
  allRolledOut,
  apiServerMetrics,
  createFleet,
  type FleetService,
  fleetConfig,
  inParallel,
  openDeploymentWatches,
  startBenchCluster,
  startFleetSlack,
  versionOf,
} from './k8s-fleet.js';
import { chartResources } from './memory-bursts.js';

/** (j) Many Kubernetes rollouts at once, followed by one Slipway process. */
export type FleetFigure =
  | { skipped: string }
  | {
      rollouts: number;
      namespaces: number;
      /** Services whose new version never becomes Ready: they must end rolled back. */
      failing: number;
      byState: Record<string, number>;
      /** Deployments whose outcome was not the expected one (first few named). */
      wrong: number;
      wrongExamples: string[];
      /** Seconds from the first command to the last deployment final. */
      seconds: number;
      rss: { idleMiB: number; peakMiB: number; growthMiB: number };
      /** The NODE_OPTIONS Slipway ran with: the Helm chart's. */
      nodeOptions: string | null;
      /** Slipway's own event-loop delay over the run (prom-client's monitorEventLoopDelay). */
      lag: { p50Ms: number; p99Ms: number; maxMs: number };
      /** The most Deployment watches open at once on the API server, by scope. */
      watches: { namespaceScoped: number; clusterScoped: number };
      /**
       * V8's collections over the run, by kind (prom-client's nodejs_gc_duration_seconds): how
       * many, their total pause, and how many paused the loop 100 ms or more.
       */
      gc: Record<string, { count: number; totalMs: number; over100Ms: number }>;
      /** V8's heap in use when the last rollout ended, beside the old-space cap. */
      heapUsedMiB: number;
    };

const FINAL = new Set(['succeeded', 'failed', 'rolled_back', 'cancelled', 'superseded']);

/** Every `failEvery`-th service fails (its new version never becomes Ready). */
export function fleetServices(count: number, namespaces: number, failEvery: number) {
  const prefix = `fleet-${process.pid}`;
  return Array.from(
    { length: count },
    (_, i): FleetService => ({
      name: `f${String(i + 1).padStart(4, '0')}`,
      namespace: `${prefix}-${i % namespaces}`,
      failing: failEvery > 0 && (i + 1) % failEvery === 0,
    }),
  );
}

export async function measureFleet(
  ctx: BenchContext,
  opts: { rollouts: number; namespaces: number; failEvery: number },
  defer: Defer,
): Promise<FleetFigure> {
  const k = await startBenchCluster(ctx.log, defer);
  if ('skipped' in k) return k;
  const services = fleetServices(opts.rollouts, opts.namespaces, opts.failEvery);
  const namespaces = [...new Set(services.map((s) => s.namespace))];
  ctx.log(`  creating ${services.length} Deployments in ${namespaces.length} namespaces`);
  await createFleet(k, services, 15);
  await until('the fleet to roll out', () => allRolledOut(k, namespaces), 20 * 60_000);

  const apiUrl = await startFleetSlack(services, defer);
  const config = fleetConfig(services, {
    concurrency: Math.min(1000, services.length),
    timeout: '10m',
  });
  // Run as the chart runs it: its NODE_OPTIONS cap V8's heap, without which V8 lets garbage
  // pile up on a machine with memory to spare and RSS says little about what Slipway keeps.
  const nodeOptions = chartResources().env;
  const slipway = await startSlipwayWith(config, apiUrl, {
    KUBECONFIG: k.cluster.kubeconfig,
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
  });
  defer(() => slipway.close());
  const db = new Database(join(slipway.dataDir, 'slipway.db'), { readonly: true });
  defer(async () => db.close());

  await sleep(3_000);
  const idleMiB = Math.min(...(await samples(() => rssMiB(slipway.pid) ?? Infinity, 3_000)));
  // A scrape resets prom-client's event-loop histogram: the next one covers only the run.
  const before = await metricsText(slipway.baseUrl);
  let peakMiB = idleMiB;
  const watches = { namespaceScoped: 0, clusterScoped: 0 };
  let sampling = true;
  const rssSampler = (async () => {
    while (sampling) {
      peakMiB = Math.max(peakMiB, rssMiB(slipway.pid) ?? 0);
      await sleep(250);
    }
  })();
  const watchSampler = (async () => {
    while (sampling) {
      const open = openDeploymentWatches(await apiServerMetrics(k).catch(() => ''));
      watches.namespaceScoped = Math.max(watches.namespaceScoped, open.namespace);
      watches.clusterScoped = Math.max(watches.clusterScoped, open.cluster);
      await sleep(1_000);
    }
  })();

  ctx.log(`  ${services.length} /deploy commands, 16 at a time`);
  const t0 = performance.now();
  await inParallel(services, 16, (s) =>
    sendCommand(
      slipway.eventsUrl,
      `deploy ${s.name} ${versionOf(s)} to bench`,
      channelOf(s.name),
      `${ctx.sink.url}/r/fleet`,
    ),
  );
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM deployments');
  const open = db.prepare<[], { n: number }>(
    `SELECT count(*) AS n FROM deployments WHERE state NOT IN (${[...FINAL].map((s) => `'${s}'`).join(',')})`,
  );
  await until(
    'every rollout to end',
    async () => (count.get()?.n ?? 0) >= services.length && (open.get()?.n ?? 1) === 0,
    30 * 60_000,
  );
  const seconds = (performance.now() - t0) / 1000;
  const after = await metricsText(slipway.baseUrl);
  const lag = lagOf(after);
  sampling = false;
  await Promise.all([rssSampler, watchSampler]);

  const rows = db
    .prepare<[], { service: string; state: string; outcome: string | null }>(
      'SELECT service, state, outcome FROM deployments',
    )
    .all();
  const byState: Record<string, number> = {};
  for (const r of rows) byState[r.state] = (byState[r.state] ?? 0) + 1;
  const expected = new Map(services.map((s) => [s.name, s.failing ? 'rolled_back' : 'succeeded']));
  const wrong = rows.filter((r) => expected.get(r.service) !== r.state);
  return {
    rollouts: services.length,
    namespaces: namespaces.length,
    failing: services.filter((s) => s.failing).length,
    byState,
    wrong: wrong.length + Math.max(0, services.length - rows.length),
    wrongExamples: wrong.slice(0, 3).map((r) => `${r.service} ${r.state}: ${r.outcome ?? ''}`),
    seconds: round(seconds, 1),
    rss: { idleMiB, peakMiB, growthMiB: round(peakMiB - idleMiB, 1) },
    nodeOptions,
    lag,
    watches,
    gc: gcBetween(before, after),
    heapUsedMiB: round(metricValue(after, 'nodejs_heap_size_used_bytes') / 2 ** 20, 1),
  };
}

/** The first sample of `name` whose labels include `labels` (`kind="major"`), or NaN. */
function metricValue(metrics: string, name: string, labels = ''): number {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (m?.[1] === name && (m[2] ?? '').includes(labels)) return Number(m[3]);
  }
  return Number.NaN;
}

function gcBetween(before: string, after: string) {
  const gc: Record<string, { count: number; totalMs: number; over100Ms: number }> = {};
  for (const kind of ['minor', 'major', 'incremental', 'weakcb']) {
    const delta = (name: string, labels = '') =>
      (metricValue(after, name, labels) || 0) - (metricValue(before, name, labels) || 0);
    const kindLabel = `kind="${kind}"`;
    const count = delta('nodejs_gc_duration_seconds_count', kindLabel);
    if (count <= 0) continue;
    const within100 = delta('nodejs_gc_duration_seconds_bucket', `le="0.1",${kindLabel}`);
    gc[kind] = {
      count,
      totalMs: round(delta('nodejs_gc_duration_seconds_sum', kindLabel) * 1000, 1),
      over100Ms: count - within100,
    };
  }
  return gc;
}

async function samples(read: () => number, ms: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    out.push(read());
    await sleep(250);
  }
  return out;
}

async function metricsText(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return res.text();
}

function lagOf(metrics: string) {
  const seconds = (name: string) => round(metricValue(metrics, name) * 1000, 1);
  return {
    p50Ms: seconds('nodejs_eventloop_lag_p50_seconds'),
    p99Ms: seconds('nodejs_eventloop_lag_p99_seconds'),
    maxMs: seconds('nodejs_eventloop_lag_max_seconds'),
  };
}
