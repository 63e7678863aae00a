import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { BenchContext, Defer } from '../context.js';
import { type LoadResult, ROOT, runLoad } from '../load-spec.js';
import { rssMiB, sleep } from '../processes.js';
import type { Goal } from '../report.js';
import { COMMAND_CHANNEL, compiledSlipway, DEV, SIGNING_SECRET, startSlipway } from '../slipway.js';
import { ACCEPTED_TEXT } from './accepted.js';

const BURSTS = 3;
/** Commands per burst: half accepted deploys, half refused by policy. */
const PER_BURST = 2_000;
const REFUSED_TEXT = 'deploy web 1.2.3 to production';
const VALUES = join(ROOT, 'deploy/helm/slipway/values.yaml');

export interface BurstFigure {
  sent: number;
  /** Answered 200 with the command's answer in the acknowledgement. */
  answeredInAck: number;
  /** Answered "busy, nothing was done" (the admission backlog was full). */
  refusedBusy: number;
  /** Not answered 200, or after Slack's 3 s. */
  missed: number;
  peakRssMiB: number;
  seconds: number;
}

export type BurstMemoryFigure =
  | {
      idleRssMiB: number;
      peakRssMiB: number;
      /** RSS 5 s after the last burst was answered. */
      afterRssMiB: number;
      heapAfterMiB: number | null;
      bursts: BurstFigure[];
      /** The chart's resources, as values.yaml sets them. */
      chart: { limitMiB: number | null; requestMiB: number | null };
      nodeOptions: string | null;
    }
  | { skipped: string };

/** Mi, Gi, M, G (Kubernetes quantities) in MiB; null when absent or unreadable. */
export function quantityMiB(q: unknown): number | null {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)?$/.exec(String(q ?? ''));
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const bytes =
    unit === 'Mi' ? n * 2 ** 20 : unit === 'Gi' ? n * 2 ** 30 : unit === 'M' ? n * 1e6 : n * 1e9;
  return Math.round((unit === '' ? n : bytes) / 2 ** 20);
}

/** The chart's memory request and limit and the NODE_OPTIONS it runs Slipway with. */
export function chartResources(): {
  limitMiB: number | null;
  requestMiB: number | null;
  env: string | null;
} {
  const values = parse(readFileSync(VALUES, 'utf8')) as {
    resources?: { limits?: { memory?: string }; requests?: { memory?: string } };
    env?: { NODE_OPTIONS?: string };
  };
  return {
    limitMiB: quantityMiB(values.resources?.limits?.memory),
    requestMiB: quantityMiB(values.resources?.requests?.memory),
    env: process.env.BENCH_NODE_OPTIONS ?? values.env?.NODE_OPTIONS ?? null,
  };
}

/**
 * (h) Three bursts of 2,000 signed commands (1,000 accepted deploys, 1,000 refused), each fired
 * at once on its own connections, the next as soon as the last was answered, at one Slipway
 * process started with the chart's NODE_OPTIONS; its RSS sampled every 50 ms, the peak beside
 * the chart's memory limit.
 */
export async function measureBurstMemory(
  ctx: BenchContext,
  apiUrl: string,
  defer: Defer,
): Promise<BurstMemoryFigure> {
  const chart = chartResources();
  const slipway = await startSlipway(
    { held: 0, heldSeconds: 0, fast: 0 },
    apiUrl,
    chart.env ? { NODE_OPTIONS: chart.env } : {},
    // Compiled even when BENCH_SLIPWAY_SRC asks for sources: tsx alone holds about 50 MiB of
    // transformed files and their maps, which the image does not.
    await compiledSlipway(),
  );
  defer(() => slipway.close());
  await sleep(2_000);
  const idleRssMiB = rssMiB(slipway.pid) ?? 0;
  let peak = idleRssMiB;
  let burstPeak = 0;
  const sampler = setInterval(() => {
    const r = rssMiB(slipway.pid) ?? 0;
    peak = Math.max(peak, r);
    burstPeak = Math.max(burstPeak, r);
  }, 50);
  const bursts: BurstFigure[] = [];
  try {
    for (let b = 0; b < BURSTS; b++) {
      burstPeak = 0;
      const t0 = performance.now();
      const loads = await Promise.all(
        [ACCEPTED_TEXT, REFUSED_TEXT].map((text, i) =>
          fire(ctx, slipway.eventsUrl, text, b * 2 + i),
        ),
      );
      bursts.push(summarize(loads, burstPeak, (performance.now() - t0) / 1000));
      ctx.log(`  burst ${b + 1}: peak RSS ${burstPeak} MiB`);
    }
    await sleep(5_000);
  } finally {
    clearInterval(sampler);
  }
  return {
    idleRssMiB,
    peakRssMiB: peak,
    afterRssMiB: rssMiB(slipway.pid) ?? 0,
    heapAfterMiB: await slipway.heapUsedMiB(),
    bursts,
    chart: { limitMiB: chart.limitMiB, requestMiB: chart.requestMiB },
    nodeOptions: chart.env,
  };
}

function fire(ctx: BenchContext, url: string, text: string, run: number): Promise<LoadResult> {
  return runLoad({
    mode: 'burst',
    url,
    secret: SIGNING_SECRET,
    text,
    runId: 1_000 + run,
    user: DEV,
    channel: COMMAND_CHANNEL,
    responseUrl: `${ctx.sink.url}/r/memory-${run}`,
    triggerPrefix: `memory-${run}-${Date.now()}`,
    concurrency: PER_BURST / 2,
    warmupMs: 0,
    durationMs: 0,
    count: PER_BURST / 2,
    deadlineMs: 3_000,
    timeoutMs: 30_000,
  });
}

function summarize(loads: LoadResult[], peakRssMiB: number, seconds: number): BurstFigure {
  const sum = (f: (l: LoadResult) => number) => loads.reduce((n, l) => n + f(l), 0);
  return {
    sent: sum((l) => l.sent),
    answeredInAck: sum((l) => l.answeredInAck),
    refusedBusy: sum((l) => l.refused),
    missed: sum((l) => l.missed),
    peakRssMiB,
    seconds: Math.round(seconds * 10) / 10,
  };
}

const GOAL = "peak RSS over 3 bursts < the chart's memory limit (h)";

export function burstMemoryGoals(f: BurstMemoryFigure): Goal[] {
  if ('skipped' in f || f.chart.limitMiB === null)
    return [{ goal: GOAL, value: '—', status: 'not measured' }];
  return [
    {
      goal: GOAL,
      value: `${f.peakRssMiB} of ${f.chart.limitMiB} MiB`,
      status: f.peakRssMiB < f.chart.limitMiB ? 'met' : 'missed',
    },
  ];
}

export function burstMemoryLines(f: BurstMemoryFigure): string[] {
  const head = `(h) memory across ${BURSTS} bursts of ${PER_BURST} signed commands (half accepted, half refused), back to back, one slipway serve`;
  if ('skipped' in f) return [head, `  SKIPPED: ${f.skipped}`];
  return [
    head,
    `  RSS: ${f.idleRssMiB} MiB idle, peak ${f.peakRssMiB} MiB, ${f.afterRssMiB} MiB 5 s after (V8 heap used then: ${f.heapAfterMiB ?? '?'} MiB); the chart: request ${f.chart.requestMiB ?? '?'} MiB, limit ${f.chart.limitMiB ?? '?'} MiB${f.nodeOptions ? `, NODE_OPTIONS ${f.nodeOptions}` : ''}`,
    ...f.bursts.map(
      (b, i) =>
        `  burst ${i + 1}: ${b.answeredInAck}/${b.sent} answered in the ack, ${b.refusedBusy} refused busy, ${b.missed} missed or after 3 s, in ${b.seconds} s; peak RSS ${b.peakRssMiB} MiB`,
    ),
  ];
}
