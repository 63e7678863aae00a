import { CronExpressionParser } from 'cron-parser';
import { type DoraDigest, WEEKDAYS } from '../config/schema.js';
import type { DoraWindow } from './types.js';
import { isoWeek } from './weeks.js';

/**
 * The digest's calendar, in its configured time zone: weeks run from Monday 00:00 to the next
 * Monday 00:00 there (167 or 169 hours when the clocks change), and the digest is due once a
 * week at its day and time. Local times are read with cron-parser, the library freeze windows
 * use: a time the clocks skip (02:30 the night summer time starts) is taken an hour later, and a
 * time they repeat is taken the first time round.
 */
export type DigestTiming = Pick<DoraDigest, 'day' | 'time' | 'timezone'>;

/** One ISO week of the zone, `[since, until)`, and its id (`2025-W12`) as people there count. */
export interface DigestWeek extends DoraWindow {
  week: string;
}

/** The week holding `at`. */
export function weekOf(at: Date, timezone: string): DigestWeek {
  const since = mondayAtOrBefore(at, timezone);
  // The next Monday 00:00: cron finds it after Monday 00:00 + 1 ms.
  const until = CronExpressionParser.parse('0 0 * * 1', {
    currentDate: new Date(since.getTime() + 1),
    tz: timezone,
  })
    .next()
    .toDate();
  return { week: weekId(since, timezone), since, until };
}

/** The week before `week`. */
export function weekBefore(week: DigestWeek, timezone: string): DigestWeek {
  return weekOf(new Date(week.since.getTime() - 1), timezone);
}

/** The first due time after `now`. */
export function nextDue(now: Date, timing: DigestTiming): Date {
  return dueTimes(timing, now).next().toDate();
}

/**
 * The week whose digest is due at `now`, or null: the week before this one, once this week's due
 * time has passed. A server that was down at the due time posts it when it starts, until the
 * week ends; after that the next week's digest is the one due, and a digest two weeks old is
 * not posted any more.
 */
export function dueWeek(now: Date, timing: DigestTiming): DigestWeek | null {
  const thisWeek = weekOf(now, timing.timezone);
  // prev() is strictly before currentDate: +1 ms makes a due time exactly at `now` count.
  const due = dueTimes(timing, new Date(now.getTime() + 1))
    .prev()
    .toDate();
  return due >= thisWeek.since ? weekBefore(thisWeek, timing.timezone) : null;
}

function dueTimes(timing: DigestTiming, from: Date) {
  const [hours, minutes] = timing.time.split(':').map(Number);
  // cron counts days from Sunday (0); WEEKDAYS from Monday.
  const day = (WEEKDAYS.indexOf(timing.day) + 1) % 7;
  return CronExpressionParser.parse(`${minutes} ${hours} * * ${day}`, {
    currentDate: from,
    tz: timing.timezone,
  });
}

function mondayAtOrBefore(at: Date, timezone: string): Date {
  return CronExpressionParser.parse('0 0 * * 1', {
    currentDate: new Date(at.getTime() + 1),
    tz: timezone,
  })
    .prev()
    .toDate();
}

/**
 * The ISO week id of a local Monday: from its date in the zone, not in UTC (Monday 00:00 in
 * Berlin is still Sunday in UTC, which belongs to the week before).
 */
function weekId(monday: Date, timezone: string): string {
  const [year, month, day] = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
    .format(monday)
    .split('-')
    .map(Number);
  return isoWeek(new Date(Date.UTC(year as number, (month as number) - 1, day as number)));
}
