import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/support/engine-harness.js';
import { atRate, readLedger } from '../../test/support/run-ledger.js';
import { startSoakServer, type TrafficKind } from '../../test/support/soak-traffic.js';
import type { BenchContext, Defer } from '../context.js';
import { connectInspector, liveHeapBytes, startInspectorProfile } from '../inspector-profile.js';
import type { Goal } from '../report.js';
import { slipwayEntry } from '../slipway.js';
import { percentile } from '../stats.js';

/** Seconds between scrapes of /metrics. */
const SCRAPE_SECONDS = 5;
/** Seconds between readings of the live heap (a full collection each, through the inspector). */
const LIVE_SECONDS = 60;
/**
 * The heap's floor, the lowest heapUsed in each window of this many seconds, is kept beside the
 * live heap: without forcing a collection it shows what V8 had not yet collected as well, and
 * swings by tens of MiB from one window to the next.
 */
const FLOOR_WINDOW_SECONDS = 30;
const IN_FLIGHT = ['requested', 'queued', 'running', 'verifying', 'rolling_back'];
/** "Heap slope ≈ 0": less than this growth a minute of the live heap, over the last 3/4. */
const SLOPE_LIMIT_MIB_PER_MIN = 0.25;

export type SoakFigure =
  | {
      minutes: number;
      rate: number;
      sent: number;
      /** Answers by kind: 2xx, other status, none. */
      answers: Record<TrafficKind, { ok: number; other: number; none: number }>;
      heap: {
        /**
         * The live heap (MiB): heapUsed right after a full collection, once a minute, oldest
         * first. What the goal is judged on.
         */
        liveMiB: number[];
        /** Least-squares slope of the live heap over the last 3/4 of the run. */
        slopeMiBPerMin: number;
        firstMiB: number;
        lastMiB: number;
        /**
         * The floor (MiB): the lowest heapUsed of each 30 s window of scrapes, collections left
         * to V8. It swings by tens of MiB with their timing; kept for comparison.
         */
        floorMiB: number[];
        floorSlopeMiBPerMin: number;
      };
      /** prom-client's event-loop delay p99 per scrape (each since the one before), ms. */
      lag: { p99OfScrapesMs: number; maxScrapeMs: number; scrapes: number };
      deployments: number;
      byState: Record<string, number>;
      /** Deployments still in flight once traffic stopped and the waiting ones were approved. */
      withoutOutcome: number;
      commandStartedTwice: number;
      errorLines: number;
      firstErrors: string[];
      /** SIGINT → exited, and whether a second SIGINT was needed after 20 s. */
      stop: { ms: number; forced: boolean; lastLines: string[] };
    }
  | { skipped: string };

/**
 * (s) One `slipway serve` (SQLite) for `--soak-minutes` under `--soak-rate` requests a second of
 * mixed traffic (test/support/soak-traffic.ts); /metrics scraped every 5 s for heap and
 * event-loop delay.
 */
export async function measureSoak(ctx: BenchContext, defer: Defer): Promise<SoakFigure> {
  const { soakMinutes: minutes, soakRate: rate } = ctx.options;
  const dir = tempDir('slipway-bench-soak-');
  const profileDir = process.env.BENCH_PROFILE;
  defer(async () => rmSync(dir, { recursive: true, force: true }));
  // The inspector reads the live heap; with BENCH_PROFILE=dir it also takes a CPU profile of the
  // server over the traffic.
  const soak = await startSoakServer({
    dir,
    env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' },
    entry: await slipwayEntry(),
  });
  defer(() => soak.close());
  const inspector = await connectInspector(soak.server.output());
  defer(async () => inspector.close());
  const profile = profileDir ? await startInspectorProfile(soak.server.output()) : null;
  const samples: Array<{ at: number; heap: number; lag: number }> = [];
  const t0 = Date.now();
  const timer = setInterval(() => {
    void soak.scrape().then((s) => {
      if (s)
        samples.push({ at: (Date.now() - t0) / 1000, heap: s.heapUsedBytes, lag: s.lagP99Seconds });
    });
  }, SCRAPE_SECONDS * 1000);
  defer(async () => clearInterval(timer));
  const live: Array<{ at: number; heap: number }> = [];
  const liveTimer = setInterval(() => {
    void liveHeapBytes(inspector)
      .then((heap) => live.push({ at: (Date.now() - t0) / 1000, heap }))
      .catch((err: unknown) => ctx.log(`  the live heap could not be read: ${String(err)}`));
  }, LIVE_SECONDS * 1000);
  defer(async () => clearInterval(liveTimer));
  let lastLog = 0;
  const sent = await atRate(rate, minutes * 60_000, async (i) => {
    if (Date.now() - lastLog > 60_000) {
      lastLog = Date.now();
      const s = samples.at(-1);
      ctx.log(
        `  ${Math.round((Date.now() - t0) / 1000)} s: ${i} sent; heap ${s ? mib(s.heap) : '?'} MiB, lag p99 ${s ? (s.lag * 1000).toFixed(1) : '?'} ms`,
      );
    }
    return soak.send(i);
  });
  clearInterval(timer);
  clearInterval(liveTimer);
  // A process with an inspector session open waits for it to close before it exits: closed
  // now, so the stop below is Slipway's own.
  inspector.close();
  if (profileDir) await profile?.stop(join(profileDir, `soak-${Date.now()}.cpuprofile`));
  const withoutOutcome = await drain(soak);
  const deployments = await listAll(soak.baseUrl);
  const byState: Record<string, number> = {};
  for (const d of deployments) byState[d.state] = (byState[d.state] ?? 0) + 1;
  const starts = readLedger(join(dir, 'ledger.log')).filter((l) => l.kind === 'start');
  const stop = await soak.stop();
  const errors = soak.server
    .output()
    .split('\n')
    .filter((line) => /"level":(50|60)/.test(line));
  // The first quarter is warm-up (caches, JIT, the store's first pages): judged on the rest.
  const measured = samples.filter((s) => s.at >= (minutes * 60) / 4);
  const floors = floorsOf(measured);
  const liveMeasured = live.filter((s) => s.at >= (minutes * 60) / 4);
  const lags = measured.map((s) => s.lag * 1000).sort((a, b) => a - b);
  return {
    minutes,
    rate,
    sent: sent.length,
    answers: tally(sent),
    heap: {
      liveMiB: live.map((l) => mib(l.heap)),
      slopeMiBPerMin: Math.round(slope(liveMeasured) * 1000) / 1000,
      firstMiB: mib(liveMeasured[0]?.heap ?? Number.NaN),
      lastMiB: mib(liveMeasured.at(-1)?.heap ?? Number.NaN),
      floorMiB: floorsOf(samples).map((f) => mib(f.heap)),
      floorSlopeMiBPerMin: Math.round(slope(floors) * 1000) / 1000,
    },
    lag: {
      p99OfScrapesMs: Math.round(percentile(lags, 0.99) * 10) / 10,
      maxScrapeMs: Math.round((lags.at(-1) ?? Number.NaN) * 10) / 10,
      scrapes: lags.length,
    },
    deployments: deployments.length,
    byState,
    withoutOutcome,
    commandStartedTwice: starts.length - new Set(starts.map((l) => l.id)).size,
    errorLines: errors.length,
    firstErrors: errors.slice(0, 3).map((l) => l.slice(0, 300)),
    stop: {
      ...stop,
      lastLines: stop.forced ? soak.server.output().trim().split('\n').slice(-3) : [],
    },
  };
}

/** Approves what waits for QA, then waits (up to 3 min) for the rest to end; returns what did not. */
async function drain(soak: Awaited<ReturnType<typeof startSoakServer>>): Promise<number> {
  let left = 0;
  for (const until = Date.now() + 180_000; Date.now() < until; ) {
    await soak.approveAll();
    const q = new URLSearchParams({
      state: [...IN_FLIGHT, 'awaiting_approval'].join(','),
      limit: '500',
    });
    const res = await fetch(`${soak.baseUrl}/api/deployments?${q}`);
    left = ((await res.json()) as { deployments: unknown[] }).deployments.length;
    if (left === 0) return 0;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return left;
}

/** Every deployment, paging back through /api/deployments 500 at a time. */
async function listAll(baseUrl: string): Promise<Array<{ id: string; state: string }>> {
  const all = new Map<string, { id: string; state: string; createdAt: string }>();
  let before: string | null = null;
  for (;;) {
    const q = new URLSearchParams({ limit: '500' });
    if (before) q.set('before', before);
    const res = await fetch(`${baseUrl}/api/deployments?${q}`);
    const page = (
      (await res.json()) as { deployments: Array<{ id: string; state: string; createdAt: string }> }
    ).deployments;
    const fresh = page.filter((d) => !all.has(d.id));
    for (const d of fresh) all.set(d.id, d);
    if (page.length < 500 || fresh.length === 0) break;
    before = page.at(-1)?.createdAt ?? null;
    if (!before) break;
  }
  return [...all.values()];
}

function floorsOf(
  samples: Array<{ at: number; heap: number }>,
): Array<{ at: number; heap: number }> {
  const windows = new Map<number, { at: number; heap: number }>();
  for (const s of samples) {
    const w = Math.floor(s.at / FLOOR_WINDOW_SECONDS);
    const cur = windows.get(w);
    if (!cur || s.heap < cur.heap) windows.set(w, s);
  }
  return [...windows.values()].sort((a, b) => a.at - b.at);
}

/** Least-squares slope, MiB a minute. */
function slope(points: Array<{ at: number; heap: number }>): number {
  if (points.length < 2) return Number.NaN;
  const xs = points.map((p) => p.at / 60);
  const ys = points.map((p) => p.heap / 2 ** 20);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
    den += ((xs[i] ?? 0) - mx) ** 2;
  }
  return num / den;
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function tally(sent: Array<{ kind: TrafficKind; status: number | null }>) {
  const out = {} as Record<TrafficKind, { ok: number; other: number; none: number }>;
  for (const { kind, status } of sent) {
    const t = out[kind] ?? { ok: 0, other: 0, none: 0 };
    out[kind] = t;
    if (status === null) t.none++;
    else if (status < 300) t.ok++;
    else t.other++;
  }
  return out;
}

const HEAP_GOAL = `(s) soak: heap slope < ${SLOPE_LIMIT_MIB_PER_MIN} MiB/min`;
const LAG_GOAL = '(s) soak: event-loop lag p99 < 50 ms';
const OUTCOME_GOAL = '(s) soak: every deployment an outcome';

export function soakGoals(s: SoakFigure): Goal[] {
  if ('skipped' in s)
    return [HEAP_GOAL, LAG_GOAL, OUTCOME_GOAL].map((goal) => ({
      goal,
      value: '—',
      status: 'not measured',
    }));
  return [
    {
      goal: HEAP_GOAL,
      value: `${s.heap.slopeMiBPerMin} MiB/min`,
      status: Math.abs(s.heap.slopeMiBPerMin) < SLOPE_LIMIT_MIB_PER_MIN ? 'met' : 'missed',
    },
    {
      goal: LAG_GOAL,
      value: `${s.lag.p99OfScrapesMs} ms`,
      status: s.lag.p99OfScrapesMs < 50 ? 'met' : 'missed',
    },
    {
      goal: OUTCOME_GOAL,
      value: `${s.withoutOutcome} without, ${s.errorLines} errors logged`,
      status:
        s.withoutOutcome === 0 && s.commandStartedTwice === 0 && s.errorLines === 0
          ? 'met'
          : 'missed',
    },
  ];
}

export function soakLines(s: SoakFigure): string[] {
  if ('skipped' in s) return [`(s) soak SKIPPED: ${s.skipped}`];
  const answers = Object.entries(s.answers)
    .map(
      ([k, t]) =>
        `${k} ${t.ok}${t.other ? `/${t.other} other` : ''}${t.none ? `/${t.none} none` : ''}`,
    )
    .join(', ');
  return [
    `(s) soak: one slipway serve (SQLite), ${s.rate} requests/s of mixed traffic for ${s.minutes} min (${s.sent} sent; 2xx by kind: ${answers})`,
    `  live heap (heapUsed after a full collection, every ${LIVE_SECONDS} s): ${s.heap.firstMiB} → ${s.heap.lastMiB} MiB over the last 3/4, slope ${s.heap.slopeMiBPerMin} MiB/min (goal |slope| < ${SLOPE_LIMIT_MIB_PER_MIN})`,
    `  heap floor (lowest heapUsed per ${FLOOR_WINDOW_SECONDS} s, collections left to V8): slope ${s.heap.floorSlopeMiBPerMin} MiB/min, from ${Math.min(...s.heap.floorMiB)} to ${Math.max(...s.heap.floorMiB)} MiB`,
    `  event-loop delay p99 (prom-client, per ${SCRAPE_SECONDS} s scrape): p99 of ${s.lag.scrapes} scrapes ${s.lag.p99OfScrapesMs} ms, worst ${s.lag.maxScrapeMs} ms`,
    `  deployments ${s.deployments}: ${JSON.stringify(s.byState)}; without an outcome after the drain: ${s.withoutOutcome}; commands started twice: ${s.commandStartedTwice}; error lines logged: ${s.errorLines}${s.firstErrors.length ? ` (${s.firstErrors.join(' | ')})` : ''}`,
    `  stop after the soak (SIGINT → exited): ${(s.stop.ms / 1000).toFixed(1)} s${s.stop.forced ? `, not clean: it had not exited 20 s after SIGINT; its last lines: ${s.stop.lastLines.join(' | ')}` : ', clean'}`,
  ];
}
