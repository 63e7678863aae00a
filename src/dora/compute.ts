import { failuresOf, isChange } from './failures.js';
import { quantile, seconds } from './stats.js';
import type {
  DoraAlert,
  DoraDeployment,
  DoraFailure,
  DoraFigures,
  DoraInput,
  DoraReport,
  DoraTarget,
  DoraTargetReport,
  DoraWindow,
  LeadTime,
} from './types.js';
import { daysBetween, weeksOf } from './weeks.js';

/**
 * The four DORA metrics per target, over the window and per ISO week of it, from Slipway's own
 * records (README.md in this folder says exactly what each counts). Pure: the same records give
 * the same report, whatever the clock says.
 */
export function computeDora(input: DoraInput): DoraReport {
  const { window } = input;
  const records = groupBy(input.deployments, targetKey);
  const alerts = groupBy(input.alerts, (a) => a.deploymentId);
  return {
    since: window.since,
    until: window.until,
    targets: input.targets.map((target) => {
      const mine = records.get(targetKey(target)) ?? [];
      const tied = mine.flatMap((d) => alerts.get(d.id) ?? []);
      return targetReport(target, mine, tied, window);
    }),
  };
}

function targetKey(t: DoraTarget): string {
  return JSON.stringify([t.service, t.environment]);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** One change of the window, with what became of it. */
interface Change {
  deployment: DoraDeployment;
  finishedAt: Date;
  lead: { ms: number; from: 'commit' | 'build' } | 'unmeasured' | null;
  failure: DoraFailure | null;
}

function targetReport(
  target: DoraTarget,
  records: readonly DoraDeployment[],
  alerts: readonly DoraAlert[],
  window: DoraWindow,
): DoraTargetReport {
  const failures = failuresOf(records, alerts, window);
  const changes: Change[] = records
    .filter((d) => isChange(d, window))
    .map((d) => ({
      deployment: d,
      finishedAt: d.finishedAt as Date,
      lead: leadOf(d),
      failure: failures.get(d.id) ?? null,
    }))
    .sort((a, b) => a.finishedAt.getTime() - b.finishedAt.getTime());
  const weeks = weeksOf(window);
  // Changes are in order: each week takes the run of them that ended before its end.
  let next = 0;
  const byWeek = weeks.map((w) => {
    const first = next;
    while (next < changes.length && (changes[next] as Change).finishedAt < w.end) next++;
    return changes.slice(first, next);
  });
  return {
    ...target,
    total: figures(changes, window.since, window.until),
    weeks: weeks.map((w, i) => ({ ...w, ...figures(byWeek[i] ?? [], w.start, w.end) })),
    failures: changes.flatMap((c) => (c.failure ? [c.failure] : [])),
  };
}

/**
 * Lead time of a deploy that went live: from its version's commit (as CI reported it) or, when
 * CI did not say, from the build's report, to going live. Null for what is not a new change
 * (a failed deploy, a redeploy of a version that was live there before); `unmeasured` when
 * neither start is known, or the start lies after going live (a skewed clock).
 */
function leadOf(d: DoraDeployment): Change['lead'] {
  if (d.state !== 'succeeded' || d.liveBefore) return null;
  const live = (d.finishedAt as Date).getTime();
  const start = d.committedAt ?? d.reportedAt;
  if (start === null || start.getTime() > live) return 'unmeasured';
  return { ms: live - start.getTime(), from: d.committedAt ? 'commit' : 'build' };
}

function figures(changes: readonly Change[], start: Date, end: Date): DoraFigures {
  const days = daysBetween(start, end);
  const deployments = changes.filter((c) => c.deployment.state === 'succeeded').length;
  const failed = changes.flatMap((c) => (c.failure ? [c.failure] : []));
  const restored = failed.flatMap((f) =>
    f.restoredAt ? [f.restoredAt.getTime() - f.at.getTime()] : [],
  );
  return {
    days,
    deployments,
    deploymentsPerWeek: days > 0 ? (deployments * 7) / days : 0,
    deploymentsPerDay: days > 0 ? deployments / days : 0,
    leadTime: leadTime(changes),
    changes: changes.length,
    failedChanges: failed.length,
    changeFailureRate: changes.length > 0 ? failed.length / changes.length : null,
    timeToRestore: {
      samples: restored.length,
      unrestored: failed.length - restored.length,
      medianSeconds: seconds(quantile(restored, 0.5)),
    },
  };
}

function leadTime(changes: readonly Change[]): LeadTime {
  const measured = changes.flatMap((c) => (c.lead && c.lead !== 'unmeasured' ? [c.lead] : []));
  const ms = measured.map((l) => l.ms);
  return {
    samples: measured.length,
    fromCommit: measured.filter((l) => l.from === 'commit').length,
    fromBuild: measured.filter((l) => l.from === 'build').length,
    unmeasured: changes.filter((c) => c.lead === 'unmeasured').length,
    medianSeconds: seconds(quantile(ms, 0.5)),
    p90Seconds: seconds(quantile(ms, 0.9)),
  };
}
