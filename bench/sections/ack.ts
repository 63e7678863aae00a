import type { AckTarget, BenchContext } from '../context.js';
import { type LoadResult, type LoadSpec, runLoad } from '../load-spec.js';
import { cpuMs, listenOverflows, rssMiB } from '../processes.js';
import { COMMAND_CHANNEL, DEV, SIGNING_SECRET } from '../slipway.js';
import type { LatencySummary } from '../stats.js';

/** One server's acknowledgements under load, and (for Slipway) the answers that followed. */
export interface AckFigure {
  target: string;
  mode: 'closed' | 'burst';
  concurrency: number;
  rps: number;
  latency: LatencySummary;
  measured: number;
  sent: number;
  missed: number;
  /** Acknowledged with "busy, nothing was done" (Slipway's backlog was full). */
  refused: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  /** CPU used in the measured window, as a share of one core. */
  serverCpu: number | null;
  loadCpu: number;
  /** SYNs the kernel dropped for a full listen queue during the run (machine-wide counter). */
  listenOverflows: number | null;
  /** The server's resident memory right after the measurement. */
  rssMiB: number | null;
  /**
   * Answers, of `sent`: those in the acknowledgement, and those that reached the
   * response_url, with when (after the command was sent).
   */
  answered: { inAck: number; count: number; latency: LatencySummary } | null;
}

let phases = 0;

/** What a measurement may send instead of the run's command (`--text` from `DEV`). */
export type AckOverride = Partial<
  Pick<LoadSpec, 'warmupMs' | 'durationMs' | 'command' | 'text' | 'user'>
>;

/** Loads `target` with signed /deploy commands (closed loop or burst) from a separate process. */
export async function measureAck(
  ctx: BenchContext,
  target: AckTarget,
  mode: 'closed' | 'burst',
  override: AckOverride = {},
): Promise<AckFigure> {
  const { options } = ctx;
  phases += 1;
  const phase = `${mode}-${target.name}-${phases}`;
  let cpuStart: [number | null, number] = [null, 0];
  let serverCpu: number | null = null;
  const overflowsBefore = listenOverflows();
  const result: LoadResult = await runLoad(
    {
      mode,
      url: target.url,
      secret: SIGNING_SECRET,
      text: options.text,
      user: DEV,
      channel: COMMAND_CHANNEL,
      responseUrl: `${ctx.sink.url}/r/${phase}`,
      triggerPrefix: `${phase}-${Date.now()}`,
      runId: phases,
      concurrency: mode === 'burst' ? options.burst : options.concurrency,
      warmupMs: options.warmup * 1000,
      durationMs: options.duration * 1000,
      count: options.burst,
      deadlineMs: 3000,
      timeoutMs: mode === 'burst' ? 30_000 : 10_000,
      ...override,
    },
    (mark) => {
      if (mark === 'window-start') cpuStart = [cpuMs(target.pid), performance.now()];
      if (mark === 'window-end') {
        const [before, t0] = cpuStart;
        const after = cpuMs(target.pid);
        if (before !== null && after !== null)
          serverCpu = Math.round(((after - before) / (performance.now() - t0)) * 100) / 100;
      }
    },
  );
  const rss = rssMiB(target.pid);
  const overflowsAfter = listenOverflows();
  let answered: AckFigure['answered'] = null;
  if (target.answers) {
    await ctx.sink.settle(phase);
    answered = { inAck: result.answeredInAck ?? 0, ...ctx.sink.answers(phase) };
  }
  return {
    target: target.name,
    mode,
    concurrency: mode === 'burst' ? options.burst : options.concurrency,
    rps: result.rps,
    latency: result.latency,
    measured: result.measured,
    sent: result.sent,
    missed: result.missed,
    refused: result.refused ?? 0,
    statuses: result.statuses,
    errors: result.errors,
    serverCpu,
    loadCpu: result.cpuShare,
    listenOverflows:
      overflowsBefore === null || overflowsAfter === null ? null : overflowsAfter - overflowsBefore,
    rssMiB: rss,
    answered,
  };
}

/** One round of the alternating comparison: both servers, one after the other. */
export interface PairRound {
  first: 'slipway' | 'bolt';
  slipway: number;
  bolt: number;
}

export interface PairsFigure {
  /** Seconds measured of each server in each round (after 1 s not counted). */
  seconds: number;
  rounds: PairRound[];
  /** Slipway's requests over Bolt's, all rounds together (equal windows). */
  ratio: number;
  /** Slipway's acknowledgements that carried the command's answer, warm-ups included. */
  answeredInAck: number;
}

/**
 * Slipway and Bolt in short rounds, taking turns at going first: on a machine whose speed
 * drifts by a tenth from one minute to the next, two figures measured 15 s apart compare the
 * drift as much as the servers. Equal windows, so the ratio of the summed rates is the ratio
 * of requests answered.
 */
export async function measurePairs(
  ctx: BenchContext,
  slipway: AckTarget,
  bolt: AckTarget,
  pairs: number,
  seconds = 3,
  override: AckOverride = {},
): Promise<PairsFigure> {
  const rounds: PairRound[] = [];
  let answeredInAck = 0;
  const once = async (target: AckTarget) => {
    const fig = await measureAck(ctx, target, 'closed', {
      ...override,
      warmupMs: 1000,
      durationMs: seconds * 1000,
    });
    answeredInAck += fig.answered?.inAck ?? 0;
    return fig.rps;
  };
  const servers = { slipway, bolt };
  for (let i = 0; i < pairs; i++) {
    const round: PairRound = { first: i % 2 === 0 ? 'slipway' : 'bolt', slipway: 0, bolt: 0 };
    const order =
      round.first === 'slipway' ? (['slipway', 'bolt'] as const) : (['bolt', 'slipway'] as const);
    for (const who of order) round[who] = await once(servers[who]);
    rounds.push(round);
  }
  const sum = (k: 'slipway' | 'bolt') => rounds.reduce((n, r) => n + r[k], 0);
  return {
    seconds,
    rounds,
    ratio: Math.round((sum('slipway') / Math.max(sum('bolt'), 1)) * 1000) / 1000,
    answeredInAck,
  };
}
