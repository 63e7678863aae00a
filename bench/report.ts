import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './load-spec.js';
import type { MachineInfo } from './machine.js';
import type { BenchOptions } from './options.js';
import type { AcceptedFigure } from './sections/accepted.js';
import type { AckFigure, PairsFigure } from './sections/ack.js';
import type { CanaryAbortFigure } from './sections/canary-abort.js';
import type { ChatCallsFigure } from './sections/chat-calls.js';
import {
  type CommandMemoryFigure,
  commandMemoryGoal,
  commandMemoryLines,
} from './sections/command-memory.js';
import { type DashboardFigure, PAGE_PATHS, PAGES, type PageFigures } from './sections/dashboard.js';
import type { FleetFigure } from './sections/fleet.js';
import type { InFlightFigure } from './sections/inflight.js';
import type { KubernetesFigure } from './sections/kubernetes.js';
import { fleetLines, kubernetesGoals, rollbackLines } from './sections/kubernetes-report.js';
import {
  type BurstMemoryFigure,
  burstMemoryGoals,
  burstMemoryLines,
} from './sections/memory-bursts.js';
import { type ReplicasFigure, replicasGoal, replicasLines } from './sections/replicas.js';
import type { RollbackFigure } from './sections/rollback-reaction.js';
import { type SoakFigure, soakGoals, soakLines } from './sections/soak.js';
import type { LatencySummary } from './stats.js';

export type Skipped = { skipped: string };

export interface BenchResults {
  machine: MachineInfo;
  options: Omit<BenchOptions, 'sections' | 'out'> & { sections: string[] };
  command: string;
  a:
    | {
        slipway: AckFigure;
        bolt: AckFigure;
        bare: AckFigure;
        transportOnly: AckFigure;
        /** Alternating rounds (--pairs); null when 0 were asked for. */
        pairs: PairsFigure | null;
      }
    | Skipped;
  /** (a) again with a /deploy that is accepted: recorded, queued, superseding the one before. */
  accepted: AcceptedFigure | Skipped;
  b: InFlightFigure | Skipped;
  c: { slipway: AckFigure; bolt: AckFigure; bare: AckFigure; transportOnly: AckFigure } | Skipped;
  d: KubernetesFigure;
  e: { calls: ChatCallsFigure | Skipped; memory: InFlightFigure['memory'] | Skipped };
  f: CanaryAbortFigure;
  g: DashboardFigure;
  i: RollbackFigure;
  j: FleetFigure;
  k: CommandMemoryFigure;
  l: ReplicasFigure;
  s: SoakFigure;
  /** Memory across three bursts of 2,000 commands, beside the Helm chart's limit. */
  h: BurstMemoryFigure;
  goals: Goal[];
  notes: string[];
  durationSeconds: number;
}

export interface Goal {
  goal: string;
  value: string;
  status: 'met' | 'missed' | 'not measured';
}

const has = <T extends object>(x: T | Skipped): x is T => !('skipped' in x);

export function goalsOf(r: Omit<BenchResults, 'goals' | 'durationSeconds'>): Goal[] {
  const p99 = (name: string, fig: AckFigure | null): Goal =>
    fig
      ? {
          goal: `ack p99 < 50 ms in ${name}`,
          value: `${fig.latency.p99} ms`,
          status: fig.latency.p99 < 50 && fig.missed === 0 ? 'met' : 'missed',
        }
      : { goal: `ack p99 < 50 ms in ${name}`, value: '—', status: 'not measured' };
  return [
    p99('(a)', has(r.a) ? r.a.slipway : null),
    p99('(b)', has(r.b) ? r.b.ack : null),
    has(r.c)
      ? {
          goal: 'zero missed deadlines in (c)',
          value: `${r.c.slipway.missed} of ${r.c.slipway.measured}${r.c.slipway.refused ? `, ${r.c.slipway.refused} refused busy` : ''}`,
          status: r.c.slipway.missed === 0 && r.c.slipway.refused === 0 ? 'met' : 'missed',
        }
      : { goal: 'zero missed deadlines in (c)', value: '—', status: 'not measured' },
    has(r.a)
      ? throughputGoal(r.a.slipway, r.a.bolt, r.a.pairs)
      : { goal: THROUGHPUT, value: '—', status: 'not measured' },
    ...acceptedGoals(r.accepted, has(r.a) ? r.a.bolt : null),
    canaryGoal(r.f),
    ...dashboardGoals(r.g),
    ...kubernetesGoals(r.d, r.i, r.j),
    commandMemoryGoal(r.k),
    replicasGoal(r.l),
    ...soakGoals(r.s),
    ...burstMemoryGoals(r.h),
  ];
}

const ACCEPTED_P99 = 'accepted ack p99 < 50 ms in (a)';
const ACCEPTED_RATE = "accepted req/s ≥ 0.5 × Bolt's in (a)";

/** The accepted /deploy: judged as the refused one, at half Bolt's throughput. */
function acceptedGoals(f: AcceptedFigure | Skipped, bolt: AckFigure | null): Goal[] {
  if (!has(f))
    return [
      { goal: ACCEPTED_P99, value: '—', status: 'not measured' },
      { goal: ACCEPTED_RATE, value: '—', status: 'not measured' },
    ];
  const ratio = f.pairs ? f.pairs.ratio : bolt ? f.ack.rps / Math.max(bolt.rps, 1) : 0;
  return [
    {
      goal: ACCEPTED_P99,
      value: `${f.ack.latency.p99} ms`,
      status: f.ack.latency.p99 < 50 && f.ack.missed === 0 ? 'met' : 'missed',
    },
    {
      goal: ACCEPTED_RATE,
      value: `${ratio.toFixed(2)} × Bolt's${f.pairs ? ` (${f.pairs.rounds.length} pairs)` : ''}`,
      status: ratio >= 0.5 ? 'met' : 'missed',
    },
  ];
}

const DATABASE_NAMES = { sqlite: 'SQLite', postgres: 'Postgres' } as const;
const PAGE_LIMIT_MS = 100;
const DORA_LIMIT_MS = 1_000;

/** Each database's slowest page at p99, and DORA's slowest report (its p99 of few requests). */
function dashboardGoals(g: DashboardFigure): Goal[] {
  const databases = has(g) ? g.databases : [];
  const goals: Goal[] = [];
  for (const name of ['sqlite', 'postgres'] as const) {
    const pageGoal = `dashboard pages p99 < ${PAGE_LIMIT_MS} ms, ${DATABASE_NAMES[name]} (g)`;
    const doraGoal = `DORA 90 d < 1 s, ${DATABASE_NAMES[name]} (g)`;
    const fig = databases.find((d) => d.database === name);
    if (!fig) {
      goals.push({ goal: pageGoal, value: '—', status: 'not measured' });
      goals.push({ goal: doraGoal, value: '—', status: 'not measured' });
      continue;
    }
    const pages = PAGES.filter((p) => p !== 'dora');
    const worst = pages.reduce((a, b) => (fig.indexed[a].p99 >= fig.indexed[b].p99 ? a : b));
    goals.push({
      goal: pageGoal,
      value: `${fig.indexed[worst].p99} ms (${worst})`,
      status: fig.indexed[worst].p99 < PAGE_LIMIT_MS ? 'met' : 'missed',
    });
    goals.push({
      goal: doraGoal,
      value: `${fig.indexed.dora.max} ms`,
      status: fig.indexed.dora.max < DORA_LIMIT_MS ? 'met' : 'missed',
    });
  }
  return goals;
}

/** Judged on the slowest abort: every bad canary, not the typical one, must be caught in time. */
function canaryGoal(f: CanaryAbortFigure): Goal {
  if (!has(f)) return { goal: CANARY_GOAL, value: '—', status: 'not measured' };
  return {
    goal: CANARY_GOAL,
    value: `max ${seconds(f.detection.max)} s (${seconds(f.goalMs)} s)`,
    status: f.detection.max < f.goalMs ? 'met' : 'missed',
  };
}

const CANARY_GOAL = 'canary abort < 2 × interval in (f)';
const seconds = (ms: number) => (ms / 1000).toFixed(1);

const THROUGHPUT = "Slipway req/s ≥ Bolt's in (a)";

// Judged on the alternating rounds when there are some: they compare the servers under the
// same drift of the machine, where the two long figures above them were measured apart.
function throughputGoal(slipway: AckFigure, bolt: AckFigure, pairs: PairsFigure | null): Goal {
  if (pairs)
    return {
      goal: THROUGHPUT,
      value: `${pairs.ratio.toFixed(2)} × Bolt's (${pairs.rounds.length} pairs)`,
      status: pairs.ratio >= 1 ? 'met' : 'missed',
    };
  return {
    goal: THROUGHPUT,
    value: `${slipway.rps} vs ${bolt.rps}`,
    status: slipway.rps >= bolt.rps ? 'met' : 'missed',
  };
}

function row(cells: Array<string | number>, widths: number[]): string {
  return cells
    .map((c, i) =>
      i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0),
    )
    .join('  ');
}

const ACK_W = [34, 7, 8, 8, 8, 7, 22];
function ackRow(label: string, f: AckFigure): string {
  const a = f.answered;
  const answered = !a
    ? '—'
    : a.count === 0
      ? `${a.inAck}/${f.sent} in the ack`
      : `${a.inAck} in ack + ${a.count}/${f.sent} p50 ${Math.round(a.latency.p50)} ms`;
  const failed =
    (f.missed > 0
      ? `  (${f.missed} failed: ${JSON.stringify({ ...f.statuses, ...f.errors })})`
      : '') + (f.refused > 0 ? `  (${f.refused} refused busy, not in req/s)` : '');
  return (
    row(
      [label, f.rps, f.latency.p50, f.latency.p99, f.latency.max, f.serverCpu ?? '?', answered],
      ACK_W,
    ) + failed
  );
}
const ACK_HEAD = row(
  ['  target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'CPU', 'answered (ack + response_url)'],
  ACK_W,
);

const BURST_W = [34, 12, 8, 8, 8, 8, 12];
function burstRow(label: string, f: AckFigure): string {
  const errors =
    (Object.keys(f.errors).length > 0 ? `  errors ${JSON.stringify(f.errors)}` : '') +
    (f.refused > 0 ? `  ${f.refused} refused busy` : '');
  return (
    row(
      [
        label,
        `${f.missed}/${f.measured}`,
        f.latency.p50,
        f.latency.p99,
        f.latency.max,
        f.serverCpu ?? '?',
        f.listenOverflows ?? '?',
      ],
      BURST_W,
    ) + errors
  );
}

/** The table printed at the end of a run. */
export function renderTable(r: BenchResults): string {
  const m = r.machine;
  const o = r.options;
  const lines = [
    `Slipway benchmark, ${m.date}: ${m.cpuModel} × ${m.cores}, ${m.memoryGiB} GiB, Node ${m.node}, load average ${m.loadAverage.start} → ${m.loadAverage.end}, ${m.busyBefore === null ? '?' : Math.round(m.busyBefore * 100)}% of the cores busy just before`,
    `Command in (a)-(c): /deploy ${r.command}`,
    '',
    `(a) ack of a signed /deploy, ${o.concurrency} keep-alive connections, ${o.warmup} s warm-up + ${o.duration} s (CPU: server's share of one core)`,
  ];
  if (has(r.a)) {
    lines.push(
      ACK_HEAD,
      ackRow('  slipway serve', r.a.slipway),
      ackRow('  bolt App, handler acks only', r.a.bolt),
      ackRow('  bare node http', r.a.bare),
    );
    lines.push(ackRow('  (diag.) slipway, ignored command', r.a.transportOnly));
    const pairs = r.a.pairs;
    if (pairs)
      lines.push(
        `  Slipway against Bolt in ${pairs.rounds.length} alternating rounds of ${pairs.seconds} s each (req/s, first to go marked *): ${pairs.rounds
          .map((p) =>
            p.first === 'slipway' ? `${p.slipway}* / ${p.bolt}` : `${p.slipway} / ${p.bolt}*`,
          )
          .join(', ')}; Slipway answered ${pairs.ratio.toFixed(2)} × Bolt's requests`,
      );
  } else lines.push(`  SKIPPED: ${r.a.skipped}`);
  lines.push(...acceptedLines(r.accepted));
  lines.push(...cpuPerRequestLines(r));
  lines.push('');
  if (has(r.b)) {
    lines.push(
      `(b) the same with ${r.b.requested} deployments in flight: ${JSON.stringify(r.b.before.byState)} (${r.b.driver}); after: ${JSON.stringify(r.b.after.byState)}; measured ${r.b.settledAfterSeconds} s after they were in flight, cores ${Math.round((r.b.machineBusyBefore ?? 0) * 100)}% busy`,
    );
    lines.push(ACK_HEAD, ackRow('  slipway serve', r.b.ack));
    if (has(r.a)) lines.push(ackRow('  yardstick: slipway idle, from (a)', r.a.slipway));
  } else lines.push(`(b) SKIPPED: ${r.b.skipped}`);
  lines.push('');
  lines.push(
    `(c) burst of ${o.burst} commands at once, one connection each (latency from send to answer)`,
  );
  if (has(r.c)) {
    lines.push(
      row(['  target', 'after 3 s', 'p50 ms', 'p99 ms', 'max ms', 'CPU', 'SYN drops'], BURST_W),
    );
    lines.push(
      burstRow('  slipway serve', r.c.slipway),
      burstRow('  bolt App, handler acks only', r.c.bolt),
      burstRow('  bare node http', r.c.bare),
      burstRow('  (diag.) slipway, ignored command', r.c.transportOnly),
    );
  } else lines.push(`  SKIPPED: ${r.c.skipped}`);
  lines.push('');
  lines.push(
    "(d) kubernetes: command sent → new image in the Deployment's pod template (seen by a watch)",
  );
  if (has(r.d)) {
    const W = [34, 4, 8, 8, 8, 9];
    const fig = (f: LatencySummary & { first: number }) => [f.count, f.p50, f.p99, f.max, f.first];
    lines.push(row(['  path', 'n', 'p50 ms', 'p99 ms', 'max ms', 'first ms'], W));
    lines.push(row(['  slipway: signed /deploy', ...fig(r.d.slipway)], W));
    if (has(r.d.kubectl))
      lines.push(
        `${row(['  kubectl set image (subprocess)', ...fig(r.d.kubectl)], W)}  (kubectl exits after ${r.d.kubectl.exitP50} ms p50)`,
      );
    else lines.push(`  kubectl yardstick SKIPPED: ${r.d.kubectl.skipped}`);
  } else if (r.d.skipped.startsWith('not selected')) lines.push(`  SKIPPED: ${r.d.skipped}`);
  else lines.push(`  !!! SKIPPED: ${r.d.skipped}`);
  lines.push('');
  lines.push('(e) cost per deployment');
  if (has(r.e.calls)) {
    const c = r.e.calls;
    lines.push(
      `  chat API calls: ${c.perDeployment} per deployment (${c.calls} for ${c.deployments} run to success, ${c.rateLimited} of them answered 429; ${JSON.stringify(c.byMethod)}; plus ${c.responseUrlAnswers} response_url answers)`,
    );
    lines.push(`    yardstick: ${c.yardstick.perDeployment} (${c.yardstick.what})`);
  } else lines.push(`  chat API calls SKIPPED: ${r.e.calls.skipped}`);
  if (has(r.e.memory)) {
    const mem = r.e.memory;
    lines.push(
      `  memory: RSS ${mem.idleMiB} MiB idle, ${mem.inFlightMiB} MiB in flight → ${mem.perDeploymentKiB} KiB per in-flight deployment`,
      `    V8 heap used (GET /metrics): ${mem.heapIdleMiB ?? '?'} → ${mem.heapInFlightMiB ?? '?'} MiB, ${mem.heapPerDeploymentKiB ?? '?'} KiB per deployment`,
      `    outside Slipway, the command driver's processes: ${mem.driverProcesses.processes}, ${mem.driverProcesses.mib} MiB RSS`,
    );
    if (has(r.a))
      lines.push(
        `    yardsticks, RSS right after (a): bare node http ${r.a.bare.rssMiB} MiB, Bolt app ${r.a.bolt.rssMiB} MiB, slipway ${r.a.slipway.rssMiB} MiB`,
      );
  } else lines.push(`  memory SKIPPED: ${r.e.memory.skipped}`);
  lines.push('');
  lines.push(...canaryLines(r.f));
  lines.push('');
  lines.push(...dashboardLines(r.g));
  lines.push('', ...rollbackLines(r.i), '', ...fleetLines(r.j));
  lines.push('', ...commandMemoryLines(r.k));
  lines.push('', ...replicasLines(r.l), '', ...soakLines(r.s));
  lines.push('', ...burstMemoryLines(r.h));
  lines.push('', 'Goals');
  for (const g of r.goals)
    lines.push(row([`  ${g.goal}`, g.value, g.status.toUpperCase()], [34, 16, 12]));
  if (r.notes.length > 0) lines.push('', 'Notes', ...r.notes.map((n) => `  - ${n}`));
  lines.push('', `Took ${r.durationSeconds} s.`);
  return lines.join('\n');
}

function acceptedLines(f: AcceptedFigure | Skipped): string[] {
  if (!has(f)) return [];
  const lines = [
    `  accepted: /deploy ${f.text} from a deployer of bench, a fresh version each ({n}); each recorded, queued, superseding the one before`,
    ackRow('  slipway serve, accepted', f.ack),
  ];
  const pairs = f.pairs;
  if (pairs)
    lines.push(
      `  accepted against Bolt in ${pairs.rounds.length} alternating rounds of ${pairs.seconds} s (req/s, * first): ${pairs.rounds
        .map((p) =>
          p.first === 'slipway' ? `${p.slipway}* / ${p.bolt}` : `${p.slipway} / ${p.bolt}*`,
        )
        .join(', ')}; Slipway answered ${pairs.ratio.toFixed(2)} × Bolt's requests`,
    );
  lines.push(
    `  in the store afterwards: ${f.recorded.total} deployments of web in bench ${JSON.stringify(f.recorded.byState)}, for ${f.answeredInAck} acknowledgements that carried an answer`,
  );
  // Older result files have no floors.
  if (f.floors)
    lines.push(
      ackRow("  (yardstick) bare server, Slipway's record only", f.floors.slipwayRecord),
      ackRow('  (yardstick) bare server, one append-only row', f.floors.journal),
    );
  return lines;
}

/**
 * Each closed-loop row of (a) as CPU per request: where the time of an accepted command goes,
 * beside the budget half of Bolt's rate leaves on the one core Slipway's main thread runs on.
 */
function cpuPerRequestLines(r: BenchResults): string[] {
  if (!has(r.a)) return [];
  const each = (f: AckFigure) =>
    f.serverCpu && f.rps > 0 ? Math.round((f.serverCpu * 1e6) / f.rps) : '?';
  const parts = [
    `bare ${each(r.a.bare)}`,
    `Bolt ${each(r.a.bolt)}`,
    `slipway: ignored ${each(r.a.transportOnly)}, refused ${each(r.a.slipway)}`,
  ];
  const accepted = has(r.accepted) ? r.accepted : null;
  if (accepted) {
    parts.push(`accepted ${each(accepted.ack)}`);
    if (accepted.floors)
      parts.push(
        `record-only floor ${each(accepted.floors.slipwayRecord)}`,
        `one-row floor ${each(accepted.floors.journal)}`,
      );
  }
  const budget = r.a.bolt.rps > 0 ? Math.round(2e6 / r.a.bolt.rps) : '?';
  return [
    `  CPU per request (server's CPU ÷ req/s, µs): ${parts.join('; ')}. Half of Bolt's rate on one core leaves ${budget} µs a request.`,
  ];
}

function canaryLines(f: CanaryAbortFigure): string[] {
  const head = '(f) canary abort: first bad sample scrapeable → canary weight 0 (driver abort)';
  if (!has(f)) {
    const mark = f.skipped.startsWith('not selected') ? '' : '!!! ';
    return [head, `  ${mark}SKIPPED: ${f.skipped}`];
  }
  const d = f.detection;
  return [
    head,
    `  ${d.count} canaries at ${Math.round(f.errorRatio * 100)}% errors from a random moment of their 25% step, a check every ${f.intervalSeconds} s, failureLimit ${f.failureLimit}, Prometheus scraping every 1 s`,
    `  slipway: median ${seconds(d.p50)} s, max ${seconds(d.max)} s (each: ${f.runs.map((r) => seconds(r.detectionMs)).join(', ')} s)`,
    `  yardstick: Flagger's documented time to roll back, interval × threshold = ${f.intervalSeconds} s × ${f.failureLimit + 1} = ${seconds(f.flaggerMs)} s; goal < 2 × interval = ${seconds(f.goalMs)} s`,
  ];
}

function dashboardLines(g: DashboardFigure): string[] {
  const head =
    "(g) dashboard at scale: each page over HTTP, one request at a time (ms); yardstick: the same without migration 014's indexes";
  if (!has(g)) return [head, `  SKIPPED: ${g.skipped}`];
  const W = [52, 5, 8, 8, 8, 2, 5, 8, 8, 8];
  const cells = (f: PageFigures[keyof PageFigures]) => [f.count, f.p50, f.p95, f.p99];
  const lines = [
    head,
    `  ${g.deployments.toLocaleString('en')} deployments over two years, 20 services × 4 environments; ${g.requests} requests per page after 20 not counted (DORA: ${g.doraRequests} after 2), fewer when a page's ${g.budgetSeconds} s are spent (n)`,
  ];
  for (const d of g.databases) {
    const rows = d.seed.rows;
    lines.push(
      `  ${DATABASE_NAMES[d.database]}: seeded in ${d.seed.seconds} s (${rows.transitions.toLocaleString('en')} transitions, ${rows.approvals.toLocaleString('en')} approvals, ${rows.refusals.toLocaleString('en')} refusals)`,
      `${row(['    page', 'n', 'p50', 'p95', 'p99', '|', 'n', 'p50', 'p95', 'p99'], W)}  (right: without 014's indexes)`,
    );
    for (const page of PAGES)
      lines.push(
        row(
          [
            `    ${PAGE_PATHS[page]}`,
            ...cells(d.indexed[page]),
            '|',
            ...cells(d.withoutIndexes[page]),
          ],
          W,
        ),
      );
  }
  return lines;
}

/** Writes latest.json and a dated copy; returns their paths. */
export function writeResults(r: BenchResults, out: string): string[] {
  const dir = resolve(ROOT, out);
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(r, null, 2)}\n`;
  const dated = join(dir, `${r.machine.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(join(dir, 'latest.json'), text);
  writeFileSync(dated, text);
  return [join(dir, 'latest.json'), dated];
}
