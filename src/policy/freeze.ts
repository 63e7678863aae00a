import { CronExpressionParser } from 'cron-parser';
import type { Environment, FreezeWindow } from '../config/schema.js';
import { parseDuration } from '../core/duration.js';

export interface ActiveFreeze {
  window: FreezeWindow;
  startedAt: Date;
  endsAt: Date;
}

/**
 * The freeze in force at `now`, or null. A window is active at t when its most recent cron
 * start s ≤ t has t < s + duration; later starts always end later, so the most recent start is
 * the only one to look at. Durations are elapsed time: a 64h freeze from Friday 16:00 ends at
 * Monday 08:00 local, except on the weekends clocks change (09:00 in March, 07:00 in October
 * for Europe/Berlin). When several windows are active, the one that ends last is returned.
 */
export function activeFreeze(
  environment: Pick<Environment, 'freeze'>,
  now: Date,
): ActiveFreeze | null {
  let found: ActiveFreeze | null = null;
  for (const window of environment.freeze) {
    const span = freezeAt(window, now);
    if (span && (!found || span.endsAt > found.endsAt)) found = span;
  }
  return found;
}

function freezeAt(window: FreezeWindow, now: Date): ActiveFreeze | null {
  const durationMs = parseDuration(window.duration);
  if (durationMs === null) return null;
  let startedAt: Date;
  try {
    // prev() is strictly before currentDate: +1 ms makes a start exactly at `now` count.
    const expression = CronExpressionParser.parse(window.cron, {
      currentDate: new Date(now.getTime() + 1),
      tz: window.timezone,
    });
    startedAt = expression.prev().toDate();
  } catch {
    // The loader validated the expression; one that still cannot be evaluated freezes nothing.
    return null;
  }
  const endsAt = new Date(startedAt.getTime() + durationMs);
  return now < endsAt ? { window, startedAt, endsAt } : null;
}
