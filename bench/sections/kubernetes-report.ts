import type { Goal } from '../report.js';
import type { FleetFigure } from './fleet.js';
import type { KubernetesFigure } from './kubernetes.js';
import type { RollbackFigure } from './rollback-reaction.js';

const has = <T extends object>(x: T | { skipped: string }): x is T => !('skipped' in x);
const skippedLine = (why: string) =>
  why.startsWith('not selected') ? `  SKIPPED: ${why}` : `  !!! SKIPPED: ${why}`;

const PATCH_GOAL = 'command → patched p50 ≤ 0.2 × kubectl (d)';
const ROLLBACK_GOAL = 'deadline seen → rollback p99 < 500 ms (i)';
const FLEET_GOALS = [
  'every outcome right, 1,000 rollouts (j)',
  'RSS growth < 100 MB (j)',
  'event-loop lag p99 < 50 ms (j)',
  'a watch per namespace (j)',
] as const;

export function kubernetesGoals(d: KubernetesFigure, i: RollbackFigure, j: FleetFigure): Goal[] {
  const goals: Goal[] = [];
  if (has(d) && has(d.kubectl)) {
    const ratio = d.slipway.p50 / d.kubectl.p50;
    goals.push({
      goal: PATCH_GOAL,
      value: `${d.slipway.p50} ms, ${ratio.toFixed(2)} ×`,
      status: ratio <= 0.2 ? 'met' : 'missed',
    });
  } else goals.push({ goal: PATCH_GOAL, value: '—', status: 'not measured' });
  if (has(i))
    goals.push({
      goal: ROLLBACK_GOAL,
      value: `${i.slipway.p99} ms`,
      status: i.slipway.p99 < 500 && i.slipway.count === i.runs ? 'met' : 'missed',
    });
  else goals.push({ goal: ROLLBACK_GOAL, value: '—', status: 'not measured' });
  if (!has(j)) {
    for (const goal of FLEET_GOALS) goals.push({ goal, value: '—', status: 'not measured' });
    return goals;
  }
  const [outcomes, rss, lag, watches] = FLEET_GOALS;
  goals.push(
    {
      goal: outcomes.replace('1,000', j.rollouts.toLocaleString('en')),
      value: `${j.wrong} wrong`,
      status: j.wrong === 0 ? 'met' : 'missed',
    },
    {
      goal: rss,
      value: `${j.rss.growthMiB} MiB`,
      status: j.rss.growthMiB < 100 ? 'met' : 'missed',
    },
    { goal: lag, value: `${j.lag.p99Ms} ms`, status: j.lag.p99Ms < 50 ? 'met' : 'missed' },
    {
      goal: watches,
      value: `${j.watches.namespaceScoped} for ${j.namespaces}`,
      status: j.watches.namespaceScoped <= j.namespaces ? 'met' : 'missed',
    },
  );
  return goals;
}

export function rollbackLines(i: RollbackFigure): string[] {
  const head =
    '(i) failure seen → rollback: ProgressDeadlineExceeded on the Deployment → its template back on the previous version (both seen by a watch)';
  if (!has(i)) return [head, skippedLine(i.skipped)];
  const k = has(i.kubectl)
    ? `p50 ${i.kubectl.p50} ms, p99 ${i.kubectl.p99} ms, max ${i.kubectl.max} ms (${i.kubectl.count} runs)`
    : `SKIPPED: ${i.kubectl.skipped}`;
  return [
    head,
    `  ${i.runs} rollouts whose pods never become Ready, progressDeadlineSeconds ${i.deadlineSeconds}, 300 ms apart; Slipway recorded ${JSON.stringify(i.byState)}`,
    `  slipway: p50 ${i.slipway.p50} ms, p99 ${i.slipway.p99} ms, max ${i.slipway.max} ms (${i.slipway.count} runs)`,
    `  yardstick, kubectl rollout status || kubectl rollout undo: ${k}`,
  ];
}

function gcLine(gc: Record<string, { count: number; totalMs: number; over100Ms: number }>) {
  const kinds = Object.entries(gc ?? {});
  if (kinds.length === 0) return 'not reported';
  return kinds
    .map(
      ([kind, g]) =>
        `${kind} ${g.count}× for ${g.totalMs} ms in all, ${g.over100Ms} of 100 ms or more`,
    )
    .join('; ');
}

export function fleetLines(j: FleetFigure): string[] {
  const head = '(j) many Kubernetes rollouts at once, followed by one Slipway process';
  if (!has(j)) return [head, skippedLine(j.skipped)];
  return [
    head,
    `  ${j.rollouts} rollouts over ${j.namespaces} namespaces, ${j.failing} of them failing (rolled back); all final after ${j.seconds} s: ${JSON.stringify(j.byState)}; ${j.wrong} wrong${j.wrongExamples.length ? ` (${j.wrongExamples.join('; ')})` : ''}`,
    `  RSS ${j.rss.idleMiB} MiB idle → ${j.rss.peakMiB} MiB at most: +${j.rss.growthMiB} MiB${j.nodeOptions ? ` (NODE_OPTIONS ${j.nodeOptions}, as the chart runs it)` : ''}`,
    `  event-loop delay over the run: p50 ${j.lag.p50Ms} ms, p99 ${j.lag.p99Ms} ms, max ${j.lag.maxMs} ms`,
    `  garbage collection over the run: ${gcLine(j.gc)}; heap in use at the end ${j.heapUsedMiB} MiB`,
    `  Deployment watches open on the API server at most: ${j.watches.namespaceScoped} namespace-scoped (Slipway's), ${j.watches.clusterScoped} cluster-scoped (the controllers' and the benchmark's)`,
  ];
}
