import { duration } from '../../dora/render.js';
import type { DoraReport } from '../../dora/types.js';
import { type Html, html } from '../html.js';
import {
  barChart,
  type ChartSeries,
  COUNT_STEPS,
  DURATION_STEPS,
  lineChart,
  PERCENT_STEPS,
} from './charts.js';
import { round, targetName } from './figures.js';
import type { Selection } from './selection.js';

/**
 * The four figures week by week. Deploys and the change failure rate are the selection's own
 * (they add up across targets); the two medians are drawn one line per target, because a
 * median of several targets is not in the report.
 */
export function weeklyCharts(report: DoraReport, selection: Selection): Html {
  const weeks = selection.weeks.map((w) => w.week);
  if (weeks.length === 0) return html``;
  const named = sameEnvironment(report)
    ? (t: { service: string }) => t.service
    : (t: { service: string; environment: string }) => targetName(t);
  const perTarget = (pick: (w: DoraReport['targets'][number]['weeks'][number]) => number | null) =>
    report.targets.map((t): ChartSeries => ({ name: named(t), values: t.weeks.map(pick) }));
  return html`<p class="small muted">ISO weeks in UTC, Monday to Sunday.${cutWeeks(report)} Weeks without a deploy are drawn as zero; a gap is a week with nothing to measure.</p>
<h3>Deploys per week</h3>
${barChart({
  id: 'dora-deploys',
  title: 'Deploys per week',
  weeks,
  series: { name: 'Deploys', values: selection.weeks.map((w) => w.deployments) },
  format: (v) => String(v),
  steps: COUNT_STEPS,
})}
<h3>Change failure rate per week</h3>
${lineChart({
  id: 'dora-failure-rate',
  title: 'Change failure rate per week',
  weeks,
  series: [
    {
      name: 'Change failure rate',
      values: selection.weeks.map((w) =>
        w.changeFailureRate === null ? null : w.changeFailureRate * 100,
      ),
    },
  ],
  format: (v) => `${Math.round(v)}%`,
  steps: PERCENT_STEPS,
  missing: 'no changes',
})}
<h3>Lead time median per week</h3>
${lineChart({
  id: 'dora-lead-time',
  title: 'Lead time median per week',
  weeks,
  series: perTarget((w) => w.leadTime.medianSeconds),
  format: duration,
  steps: DURATION_STEPS,
  missing: 'no change measured',
})}
<h3>Time to restore median per week</h3>
${lineChart({
  id: 'dora-restore',
  title: 'Time to restore median per week',
  weeks,
  series: perTarget((w) => w.timeToRestore.medianSeconds),
  format: duration,
  steps: DURATION_STEPS,
  missing: 'nothing restored',
})}`;
}

function sameEnvironment(report: DoraReport): boolean {
  return new Set(report.targets.map((t) => t.environment)).size <= 1;
}

/** The period rarely starts on a Monday: its first and last weeks are shorter. */
function cutWeeks(report: DoraReport): string {
  const weeks = report.targets[0]?.weeks ?? [];
  const short = weeks.filter((w) => w.days < 7);
  if (short.length === 0) return '';
  const list = short.map((w) => `${w.week} has ${round(w.days)} days`).join(', ');
  return ` The period cuts ${short.length === 1 ? 'one week' : 'two weeks'}: ${list}.`;
}
