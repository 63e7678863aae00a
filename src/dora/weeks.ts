import type { DoraWindow } from './types.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** One ISO week as the window sees it: `start`/`end` are clipped to the window. */
export interface WeekSpan {
  week: string;
  start: Date;
  end: Date;
}

/** Monday 00:00 UTC of the ISO week holding `at`. */
export function weekStart(at: Date): Date {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  // getUTCDay: Sunday 0 … Saturday 6; ISO weeks begin on Monday.
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * DAY_MS);
}

/**
 * `2025-W01`: the ISO 8601 week of `at`, in UTC. The week belongs to the year of its Thursday,
 * so 2024-12-30 is in 2025-W01 and 2027-01-01 in 2026-W53.
 */
export function isoWeek(at: Date): string {
  const thursday = new Date(weekStart(at).getTime() + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const firstJan = Date.UTC(year, 0, 1);
  const week = Math.floor((thursday.getTime() - firstJan) / WEEK_MS) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Every ISO week the window touches, in order, each clipped to the window. */
export function weeksOf(window: DoraWindow): WeekSpan[] {
  const spans: WeekSpan[] = [];
  const until = window.until.getTime();
  for (let start = weekStart(window.since).getTime(); start < until; start += WEEK_MS) {
    const from = Math.max(start, window.since.getTime());
    spans.push({
      week: isoWeek(new Date(start)),
      start: new Date(from),
      end: new Date(Math.min(start + WEEK_MS, until)),
    });
  }
  return spans;
}

export function daysBetween(start: Date, end: Date): number {
  return (end.getTime() - start.getTime()) / DAY_MS;
}
