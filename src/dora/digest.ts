import type { ChatLimits, MessageView } from '../chat/types.js';
import { escapeText, plural } from '../chat/views/text.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/types.js';
import type { DigestWeek } from './digest-week.js';
import { duration } from './render.js';
import { doraReport } from './report.js';
import { quantile } from './stats.js';
import type { DoraFigures, DoraReport, DoraTargetReport } from './types.js';

/**
 * The weekly DORA digest: last week's four figures per service, each beside the week before's
 * with the change said in words (an arrow alone tells a screen reader, or anyone skimming,
 * nothing), totals, and a link to the dashboard's DORA page. A MessageView, so Slack and Teams
 * each render it their own way.
 */

export interface DigestReports {
  week: DigestWeek;
  current: DoraReport;
  /** The week before, for the comparison. */
  previous: DoraReport;
}

/**
 * Both weeks' reports, on the targets `slipway report dora` picks (each service's production, or
 * `environment`). A sentence when the environment reports on nothing.
 */
export async function digestReports(
  store: Pick<Store, 'doraRecords'>,
  config: Config,
  weeks: { week: DigestWeek; previous: DigestWeek },
  environment?: string,
): Promise<DigestReports | string> {
  const ask = (window: DigestWeek) =>
    doraReport(store, config, {
      window: { since: window.since, until: window.until },
      ...(environment ? { environment } : {}),
    });
  const current = await ask(weeks.week);
  if (typeof current === 'string') return current;
  const previous = await ask(weeks.previous);
  if (typeof previous === 'string') return previous;
  return { week: weeks.week, current, previous };
}

export interface DigestViewOptions {
  timezone: string;
  /** The environment the config names, else each service's production. */
  environment?: string;
  /** SLIPWAY_PUBLIC_URL: the dashboard, whose DORA page the digest links to. */
  publicUrl?: string;
  limits: Pick<ChatLimits, 'messageText'>;
}

export function digestView(reports: DigestReports, options: DigestViewOptions): MessageView {
  const { week, current, previous } = reports;
  const before = new Map(previous.targets.map((t) => [targetKey(t), t]));
  const lines = current.targets.map((t) => targetLine(t, before.get(targetKey(t))));
  const intro = `${span(week, options.timezone)}, ${where(options.environment)}, compared with the week before.`;
  const more = options.publicUrl ? 'on the DORA page' : 'with slipway report dora --weeks';
  return {
    title: `DORA metrics for ${week.week}`,
    tone: 'neutral',
    body: fitted(intro, lines, options.limits.messageText, more),
    fields: current.targets.length > 0 ? totals(current, previous) : [],
    context: [
      'Deploys went live (rollbacks are not counted); a change failed when it failed or was rolled back, a rollback was asked for while it was live, or an alert was tied to it. Lead time and time to restore are medians.',
    ],
    ...(options.publicUrl
      ? { links: [{ label: 'Open the DORA page', url: `${options.publicUrl}/dora` }] }
      : {}),
  };
}

function targetKey(t: { service: string; environment: string }): string {
  return JSON.stringify([t.service, t.environment]);
}

/** `Monday 17 March to Sunday 23 March 2025 (Europe/Berlin)`. */
function span(week: DigestWeek, timezone: string): string {
  const day = (at: Date, year: boolean) =>
    new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      ...(year ? { year: 'numeric' } : {}),
    })
      .format(at)
      .replace(',', '');
  const sunday = new Date(week.until.getTime() - 1);
  return `${day(week.since, false)} to ${day(sunday, true)} (${escapeText(timezone)})`;
}

function where(environment: string | undefined): string {
  return environment
    ? `each service in ${escapeText(environment)}`
    : 'each service in production (its protected environments, else the last it deploys to)';
}

/**
 * The intro and as many services as the platform shows in one message; the rest are counted and
 * pointed to, since a cut in the middle of a line would misreport a figure.
 */
function fitted(intro: string, lines: string[], max: number, more: string): string {
  if (lines.length === 0) return `${intro}\nNo service to report on.`;
  const kept: string[] = [];
  let length = intro.length;
  for (const [i, line] of lines.entries()) {
    const left = lines.length - i - 1;
    const reserve = left > 0 ? 80 : 0;
    if (length + 1 + line.length + reserve > max) break;
    kept.push(line);
    length += 1 + line.length;
  }
  const rest = lines.length - kept.length;
  const tail = rest > 0 ? [`…and ${plural(rest, 'more service')}: see them ${more}.`] : [];
  return [intro, ...kept, ...tail].join('\n');
}

/** `*web* in production: 3 deploys (↑ 2 more than the week before); lead time …`. */
function targetLine(now: DoraTargetReport, before: DoraTargetReport | undefined): string {
  const was = before?.total;
  const f = now.total;
  const parts = [
    deploys(f.deployments, was?.deployments ?? 0),
    `lead time ${median(f.leadTime.medianSeconds, was ? was.leadTime.medianSeconds : null)}`,
    `change failure rate ${failureRate(f, was)}`,
    `time to restore ${restore(f.timeToRestore, was?.timeToRestore.medianSeconds ?? null)}`,
  ];
  return `*${escapeText(now.service)}* in ${escapeText(now.environment)}: ${parts.join('; ')}`;
}

function deploys(now: number, before: number): string {
  return `${plural(now, 'deploy')} (${countChange(now, before)})`;
}

function countChange(now: number, before: number): string {
  if (now > before) return `↑ ${now - before} more than the week before`;
  if (now < before) return `↓ ${before - now} fewer than the week before`;
  return 'as many as the week before';
}

/** A median duration, and how it moved: shorter is faster, for lead time and for restoring. */
function median(now: number | null, before: number | null): string {
  if (now === null) {
    return before === null ? 'not measured' : `not measured (${duration(before)} the week before)`;
  }
  if (before === null) return `${duration(now)} (not measured the week before)`;
  if (duration(now) === duration(before)) return `${duration(now)} (same as the week before)`;
  const by = duration(Math.abs(now - before));
  return now < before
    ? `${duration(now)} (↓ ${by} faster than the week before)`
    : `${duration(now)} (↑ ${by} slower than the week before)`;
}

function failureRate(
  now: Pick<DoraFigures, 'changeFailureRate' | 'failedChanges' | 'changes'>,
  before: Pick<DoraFigures, 'changeFailureRate'> | undefined,
): string {
  const was = before?.changeFailureRate ?? null;
  if (now.changeFailureRate === null) {
    return was === null
      ? 'not measured (no changes)'
      : `not measured (${percent(was)} the week before)`;
  }
  const rate = `${percent(now.changeFailureRate)} (${now.failedChanges} of ${now.changes}`;
  if (was === null) return `${rate}; no changes the week before)`;
  if (percent(now.changeFailureRate) === percent(was)) return `${rate}; same as the week before)`;
  return now.changeFailureRate > was
    ? `${rate}; ↑ up from ${percent(was)} the week before)`
    : `${rate}; ↓ down from ${percent(was)} the week before)`;
}

function restore(now: DoraFigures['timeToRestore'], before: number | null): string {
  if (now.samples === 0 && now.unrestored === 0) {
    return before === null
      ? 'not measured (nothing failed)'
      : `not measured (nothing failed; ${duration(before)} the week before)`;
  }
  const unrestored =
    now.unrestored > 0
      ? `, ${plural(now.unrestored, 'failure')} not restored by the week's end`
      : '';
  if (now.samples === 0) return `not measured${unrestored}`;
  return `${median(now.medianSeconds, before)}${unrestored}`;
}

function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

/**
 * The week across services. Deploys and changes add up; time to restore is the median of every
 * restored failure. Lead times are only known per service as medians, and a median of medians
 * would misstate the whole, so the total gives their range.
 */
function totals(current: DoraReport, previous: DoraReport): { label: string; value: string }[] {
  const now = sum(current);
  const before = sum(previous);
  return [
    { label: 'Deploys', value: deploys(now.deployments, before.deployments) },
    { label: 'Lead time', value: leadRange(current) },
    { label: 'Change failure rate', value: failureRate(now, before) },
    {
      label: 'Time to restore',
      value: restore(now.timeToRestore, before.timeToRestore.medianSeconds),
    },
  ];
}

function sum(report: DoraReport) {
  const add = (pick: (f: DoraFigures) => number) =>
    report.targets.reduce((n, t) => n + pick(t.total), 0);
  const changes = add((f) => f.changes);
  const failedChanges = add((f) => f.failedChanges);
  const failures = report.targets.flatMap((t) => t.failures);
  const restored = failures.flatMap((f) =>
    f.restoredAt ? [(f.restoredAt.getTime() - f.at.getTime()) / 1000] : [],
  );
  return {
    deployments: add((f) => f.deployments),
    changes,
    failedChanges,
    changeFailureRate: changes > 0 ? failedChanges / changes : null,
    timeToRestore: {
      samples: restored.length,
      unrestored: failures.length - restored.length,
      medianSeconds: quantile(restored, 0.5),
    },
  };
}

/** `3h (api) to 12h (web)`: the fastest and the slowest service's median. */
function leadRange(report: DoraReport): string {
  const measured = report.targets
    .filter((t) => t.total.leadTime.medianSeconds !== null)
    .sort(
      (a, b) =>
        (a.total.leadTime.medianSeconds as number) - (b.total.leadTime.medianSeconds as number),
    );
  const first = measured[0];
  const last = measured[measured.length - 1];
  if (!first || !last) return 'not measured';
  const named = (t: DoraTargetReport) =>
    `${duration(t.total.leadTime.medianSeconds)} (${escapeText(t.service)})`;
  return first === last ? named(first) : `medians from ${named(first)} to ${named(last)}`;
}
