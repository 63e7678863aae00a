import { quantile, seconds } from '../../dora/stats.js';
import type { DoraReport, DoraTargetReport, LeadTime, TimeToRestore } from '../../dora/types.js';

/**
 * The report's targets taken together, for the page's first cards and its charts: only what
 * adds up exactly. Counts add, and so do rates made of counts; time to restore is the median of
 * every failure's restore, which the report lists per target. Lead time does not add: its
 * median needs every change's lead time and the report keeps only each target's quantiles, so
 * with several targets the page shows the lowest and highest of them rather than a made-up median.
 */
export interface Selection {
  targets: number;
  days: number;
  deployments: number;
  deploymentsPerWeek: number;
  deploymentsPerDay: number;
  changes: number;
  failedChanges: number;
  changeFailureRate: number | null;
  timeToRestore: TimeToRestore;
  /** The one target's lead time, or the spread of the targets' medians. */
  leadTime: { one: LeadTime } | { spread: LeadTimeSpread };
  weeks: SelectionWeek[];
}

export interface LeadTimeSpread {
  /** Targets with at least one measured lead time. */
  measured: number;
  lowestMedianSeconds: number | null;
  highestMedianSeconds: number | null;
  samples: number;
}

export interface SelectionWeek {
  week: string;
  deployments: number;
  changes: number;
  failedChanges: number;
  changeFailureRate: number | null;
}

export function selectionOf(report: DoraReport): Selection {
  const targets = report.targets;
  const sum = (pick: (t: DoraTargetReport) => number) => targets.reduce((n, t) => n + pick(t), 0);
  const changes = sum((t) => t.total.changes);
  const failedChanges = sum((t) => t.total.failedChanges);
  return {
    targets: targets.length,
    days: (report.until.getTime() - report.since.getTime()) / 86_400_000,
    deployments: sum((t) => t.total.deployments),
    // Every target has the same window, so per-week and per-day rates add up.
    deploymentsPerWeek: sum((t) => t.total.deploymentsPerWeek),
    deploymentsPerDay: sum((t) => t.total.deploymentsPerDay),
    changes,
    failedChanges,
    changeFailureRate: changes > 0 ? failedChanges / changes : null,
    timeToRestore: restoreOf(targets),
    leadTime:
      targets.length === 1 && targets[0]
        ? { one: targets[0].total.leadTime }
        : { spread: spreadOf(targets) },
    weeks: weeksOf(targets),
  };
}

/** The report's `failures` are the failed changes its totals count: their restores pooled. */
function restoreOf(targets: readonly DoraTargetReport[]): TimeToRestore {
  const failures = targets.flatMap((t) => t.failures);
  const restored = failures.flatMap((f) =>
    f.restoredAt ? [f.restoredAt.getTime() - f.at.getTime()] : [],
  );
  return {
    samples: restored.length,
    unrestored: failures.length - restored.length,
    medianSeconds: seconds(quantile(restored, 0.5)),
  };
}

function spreadOf(targets: readonly DoraTargetReport[]): LeadTimeSpread {
  const medians = targets.flatMap((t) =>
    t.total.leadTime.medianSeconds === null ? [] : [t.total.leadTime.medianSeconds],
  );
  return {
    measured: medians.length,
    lowestMedianSeconds: medians.length > 0 ? Math.min(...medians) : null,
    highestMedianSeconds: medians.length > 0 ? Math.max(...medians) : null,
    samples: targets.reduce((n, t) => n + t.total.leadTime.samples, 0),
  };
}

/** Every target has the same weeks (those of the window), in the same order. */
function weeksOf(targets: readonly DoraTargetReport[]): SelectionWeek[] {
  const first = targets[0];
  if (!first) return [];
  return first.weeks.map((w, i) => {
    const sum = (pick: (f: DoraTargetReport['weeks'][number]) => number) =>
      targets.reduce((n, t) => n + (t.weeks[i] ? pick(t.weeks[i]) : 0), 0);
    const changes = sum((f) => f.changes);
    const failedChanges = sum((f) => f.failedChanges);
    return {
      week: w.week,
      deployments: sum((f) => f.deployments),
      changes,
      failedChanges,
      changeFailureRate: changes > 0 ? failedChanges / changes : null,
    };
  });
}
