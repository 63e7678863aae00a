import { describe, expect, it } from 'vitest';
import type { FreezeWindow } from '../config/schema.js';
import { activeFreeze } from './freeze.js';

const WEEKEND: FreezeWindow = {
  cron: '0 16 * * 5',
  duration: '64h',
  timezone: 'Europe/Berlin',
  reason: 'weekend',
};
const NIGHTLY: FreezeWindow = {
  cron: '0 22 * * *',
  duration: '10h',
  timezone: 'UTC',
  reason: 'nightly batch',
};

function at(iso: string, ...freeze: FreezeWindow[]) {
  return activeFreeze({ freeze }, new Date(iso));
}

describe('activeFreeze', () => {
  it.each([
    // [instant (UTC), active?, what it shows]
    ['2024-03-06T10:00:00Z', false, 'Wednesday: no freeze'],
    ['2024-03-08T14:59:59Z', false, 'Friday 15:59:59 Berlin (CET, UTC+1): just before'],
    ['2024-03-08T15:00:00Z', true, 'Friday 16:00 Berlin: the start itself is frozen'],
    ['2024-03-09T23:00:00Z', true, 'Sunday 00:00 Berlin: across midnight'],
    ['2024-03-11T06:59:59Z', true, 'Monday 07:59:59 Berlin: still frozen'],
    ['2024-03-11T07:00:00Z', false, 'Monday 08:00 Berlin: over'],
  ])('%s → %s (%s)', (iso, active) => {
    expect(at(iso, WEEKEND) !== null).toBe(active);
  });

  it('reports when the freeze started and ends', () => {
    const freeze = at('2024-03-09T12:00:00Z', WEEKEND);
    expect(freeze?.window.reason).toBe('weekend');
    expect(freeze?.startedAt.toISOString()).toBe('2024-03-08T15:00:00.000Z');
    expect(freeze?.endsAt.toISOString()).toBe('2024-03-11T07:00:00.000Z');
  });

  it('reads the cron in the window time zone, summer time included', () => {
    // June: Berlin is UTC+2, so Friday 16:00 there is 14:00 UTC.
    expect(at('2024-06-07T13:59:00Z', WEEKEND)).toBeNull();
    expect(at('2024-06-07T14:00:00Z', WEEKEND)?.startedAt.toISOString()).toBe(
      '2024-06-07T14:00:00.000Z',
    );
  });

  it('counts the duration in elapsed time across the March DST change (ends 09:00 local)', () => {
    // Clocks go forward on Sunday 31 March 2024: 64 h after Fri 16:00 CET is Mon 09:00 CEST.
    const freeze = at('2024-03-30T12:00:00Z', WEEKEND);
    expect(freeze?.startedAt.toISOString()).toBe('2024-03-29T15:00:00.000Z');
    expect(freeze?.endsAt.toISOString()).toBe('2024-04-01T07:00:00.000Z');
    expect(at('2024-04-01T06:30:00Z', WEEKEND)).not.toBeNull(); // Monday 08:30 CEST: still frozen
  });

  it('counts the duration in elapsed time across the October DST change (ends 07:00 local)', () => {
    // Clocks go back on Sunday 27 October 2024: 64 h after Fri 16:00 CEST is Mon 07:00 CET.
    const freeze = at('2024-10-26T12:00:00Z', WEEKEND);
    expect(freeze?.startedAt.toISOString()).toBe('2024-10-25T14:00:00.000Z');
    expect(freeze?.endsAt.toISOString()).toBe('2024-10-28T06:00:00.000Z');
    expect(at('2024-10-28T06:00:00Z', WEEKEND)).toBeNull(); // Monday 07:00 CET: over
  });

  it('handles a daily window that crosses midnight', () => {
    expect(at('2024-03-06T21:59:00Z', NIGHTLY)).toBeNull();
    expect(at('2024-03-06T22:00:00Z', NIGHTLY)).not.toBeNull();
    expect(at('2024-03-07T03:00:00Z', NIGHTLY)?.startedAt.toISOString()).toBe(
      '2024-03-06T22:00:00.000Z',
    );
    expect(at('2024-03-07T07:59:59Z', NIGHTLY)).not.toBeNull();
    expect(at('2024-03-07T08:00:00Z', NIGHTLY)).toBeNull();
  });

  it('returns the window that ends last when several are active', () => {
    const freeze = at('2024-03-08T23:00:00Z', NIGHTLY, WEEKEND);
    expect(freeze?.window.reason).toBe('weekend');
    expect(at('2024-03-07T03:00:00Z', NIGHTLY, WEEKEND)?.window.reason).toBe('nightly batch');
  });

  it('is never active without windows', () => {
    expect(at('2024-03-08T17:00:00Z')).toBeNull();
  });
});
