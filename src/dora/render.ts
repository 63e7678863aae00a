import { alignedTable } from '../cli/render.js';
import type { DoraFigures, DoraReport } from './types.js';

/**
 * `slipway report dora` for a person: one row per target over the window, then with `weeks`
 * one table per target by ISO week. The same numbers as `--json`, rounded for reading.
 */
export function renderDoraReport(report: DoraReport, options: { weeks?: boolean } = {}): string {
  const days = (report.until.getTime() - report.since.getTime()) / 86_400_000;
  const lines = [
    `DORA metrics from ${when(report.since)} to ${when(report.until)} (${round(days)} days)`,
    '',
  ];
  if (report.targets.length === 0) return [...lines, 'No service to report on.'].join('\n');
  lines.push(
    alignedTable(
      ['SERVICE', 'ENVIRONMENT', 'DEPLOYS/WEEK', ...FIGURE_HEADER],
      report.targets.map((t) => [
        t.service,
        t.environment,
        `${round(t.total.deploymentsPerWeek)} (${t.total.deployments} in all)`,
        ...figureCells(t.total),
      ]),
    ),
  );
  if (options.weeks) {
    for (const t of report.targets) {
      lines.push('', `${t.service} in ${t.environment}, by ISO week (UTC)`);
      lines.push(
        alignedTable(
          ['WEEK', 'DAYS', 'DEPLOYS', ...FIGURE_HEADER],
          t.weeks.map((w) => [w.week, round(w.days), String(w.deployments), ...figureCells(w)]),
        ),
      );
    }
  }
  lines.push('', ...footnotes(report));
  return lines.join('\n');
}

const FIGURE_HEADER = ['LEAD TIME MEDIAN / P90', 'CHANGE FAILURE RATE', 'TIME TO RESTORE'];

/** Lead time, change failure rate and time to restore as written here and on the dashboard. */
export function figureCells(f: DoraFigures): string[] {
  const lead = f.leadTime;
  const restore = f.timeToRestore;
  return [
    lead.samples === 0
      ? '-'
      : `${duration(lead.medianSeconds)} / ${duration(lead.p90Seconds)} (${lead.samples})`,
    f.changeFailureRate === null
      ? '-'
      : `${Math.round(f.changeFailureRate * 100)}% (${f.failedChanges} of ${f.changes})`,
    [
      ...(restore.samples > 0 ? [`${duration(restore.medianSeconds)} (${restore.samples})`] : []),
      ...(restore.unrestored > 0 ? [`${restore.unrestored} not restored`] : []),
    ].join(', ') || '-',
  ];
}

/** Where lead times started, and what counts: the reader cannot tell from the table. */
export function footnotes(report: DoraReport): string[] {
  const sum = (pick: (f: DoraFigures) => number) =>
    report.targets.reduce((n, t) => n + pick(t.total), 0);
  const fromCommit = sum((f) => f.leadTime.fromCommit);
  const fromBuild = sum((f) => f.leadTime.fromBuild);
  const unmeasured = sum((f) => f.leadTime.unmeasured);
  const notes = [
    `Lead time: ${fromCommit} from the commit time CI sent, ${fromBuild} from when the build was reported (no commit time)${unmeasured > 0 ? `, ${unmeasured} deploy${unmeasured === 1 ? '' : 's'} without either left out` : ''}.`,
    'Deploys went live (rollbacks are not counted); a change failed when it failed or was rolled back, a rollback was asked for while it was live, or an alert was tied to it. In brackets: how many figures a median is taken from.',
  ];
  return notes;
}

const UNITS: readonly [string, number][] = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** `3h30m`, `2d4h`, `45s`: the largest unit and the next, enough to compare at a glance. */
export function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  const total = Math.round(seconds);
  const found = UNITS.findIndex(([, size]) => total >= size);
  const index = found < 0 ? UNITS.length - 1 : found;
  const [unit, size] = UNITS[index] ?? ['s', 1];
  const next = UNITS[index + 1];
  const first = `${Math.floor(total / size)}${unit}`;
  if (!next) return first;
  const rest = Math.floor((total % size) / next[1]);
  return rest > 0 ? `${first}${rest}${next[0]}` : first;
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function when(at: Date): string {
  return `${at.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
