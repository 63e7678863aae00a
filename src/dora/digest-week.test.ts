import { describe, expect, it } from 'vitest';
import { type DigestTiming, dueWeek, nextDue, weekBefore, weekOf } from './digest-week.js';

const at = (iso: string) => new Date(iso);
const monday9: DigestTiming = { day: 'monday', time: '09:00', timezone: 'UTC' };

describe('the digest calendar', () => {
  it('in UTC: due Monday 09:00, for the Monday–Sunday before', () => {
    // Wednesday 19 March 2025.
    const now = at('2025-03-19T12:00:00Z');
    expect(nextDue(now, monday9)).toEqual(at('2025-03-24T09:00:00Z'));
    expect(dueWeek(now, monday9)).toEqual({
      week: '2025-W11',
      since: at('2025-03-10T00:00:00Z'),
      until: at('2025-03-17T00:00:00Z'),
    });
    // Monday 24 March: before 09:00 last week's digest is not due yet, from 09:00 it is.
    expect(dueWeek(at('2025-03-24T08:59:59.999Z'), monday9)).toBeNull();
    expect(dueWeek(at('2025-03-24T09:00:00Z'), monday9)?.week).toBe('2025-W12');
    expect(dueWeek(at('2025-03-30T23:59:59Z'), monday9)?.week).toBe('2025-W12');
    expect(nextDue(at('2025-03-24T09:00:00Z'), monday9)).toEqual(at('2025-03-31T09:00:00Z'));
  });

  it('in Berlin: the local clock across the switch to summer time, and the local week', () => {
    const berlin: DigestTiming = { ...monday9, timezone: 'Europe/Berlin' };
    // 09:00 CET is 08:00 UTC; after 30 March, 09:00 CEST is 07:00 UTC.
    expect(nextDue(at('2025-03-20T00:00:00Z'), berlin)).toEqual(at('2025-03-24T08:00:00Z'));
    expect(nextDue(at('2025-03-24T08:00:00Z'), berlin)).toEqual(at('2025-03-31T07:00:00Z'));
    // The week the clocks changed: Monday 00:00 CET to Monday 00:00 CEST, 167 hours.
    const w13 = dueWeek(at('2025-03-31T07:00:00Z'), berlin);
    expect(w13).toEqual({
      week: '2025-W13',
      since: at('2025-03-23T23:00:00Z'),
      until: at('2025-03-30T22:00:00Z'),
    });
    expect(((w13?.until.getTime() ?? 0) - (w13?.since.getTime() ?? 0)) / 3_600_000).toBe(167);
    // Monday 00:30 in Berlin is Sunday in UTC: it is still Berlin's new week.
    expect(weekOf(at('2025-03-23T23:30:00Z'), 'Europe/Berlin').week).toBe('2025-W13');
    expect(weekOf(at('2025-03-23T23:30:00Z'), 'UTC').week).toBe('2025-W12');
  });

  it('in New York: Sunday evening across the end of summer time', () => {
    const sunday: DigestTiming = { day: 'sunday', time: '18:00', timezone: 'America/New_York' };
    // 18:00 EDT is 22:00 UTC; on 2 November 2025 the clocks went back, 18:00 EST is 23:00 UTC.
    expect(nextDue(at('2025-10-25T00:00:00Z'), sunday)).toEqual(at('2025-10-26T22:00:00Z'));
    expect(nextDue(at('2025-10-26T22:00:00Z'), sunday)).toEqual(at('2025-11-02T23:00:00Z'));
    // Due on a Sunday, a digest reports the last whole week: the one that ended the Sunday
    // before, here the week the clocks went back in, 169 hours long.
    expect(dueWeek(at('2025-11-09T23:00:00Z'), sunday)).toEqual({
      week: '2025-W44',
      since: at('2025-10-27T04:00:00Z'),
      until: at('2025-11-03T05:00:00Z'),
    });
    expect(dueWeek(at('2025-11-02T23:00:00Z'), sunday)?.week).toBe('2025-W43');
    expect(dueWeek(at('2025-11-02T22:59:00Z'), sunday)).toBeNull();
  });

  it('a time the clocks skip is taken an hour later, that week, not left out', () => {
    const night: DigestTiming = { day: 'sunday', time: '02:30', timezone: 'Europe/Berlin' };
    // 02:30 did not happen in Berlin on 30 March 2025: 03:30 CEST, 01:30 UTC.
    expect(nextDue(at('2025-03-29T00:00:00Z'), night)).toEqual(at('2025-03-30T01:30:00Z'));
  });

  it('in Auckland, a day ahead of UTC', () => {
    const auckland: DigestTiming = { ...monday9, timezone: 'Pacific/Auckland' };
    // Monday 09:00 NZDT (UTC+13) is Sunday 20:00 UTC.
    expect(nextDue(at('2025-03-20T00:00:00Z'), auckland)).toEqual(at('2025-03-23T20:00:00Z'));
    expect(dueWeek(at('2025-03-23T20:00:00Z'), auckland)?.week).toBe('2025-W12');
  });

  it('counts the week before across the new year as ISO does', () => {
    // Monday 30 December 2024 begins 2025-W01; the week before it is 2024-W52.
    const w01 = weekOf(at('2025-01-01T12:00:00Z'), 'UTC');
    expect(w01.week).toBe('2025-W01');
    expect(weekBefore(w01, 'UTC')).toEqual({
      week: '2024-W52',
      since: at('2024-12-23T00:00:00Z'),
      until: at('2024-12-30T00:00:00Z'),
    });
  });
});
