import { describe, expect, it } from 'vitest';
import { quantile } from './stats.js';
import { isoWeek, weeksOf } from './weeks.js';

describe('ISO weeks', () => {
  it('gives a week to the year of its Thursday, in UTC', () => {
    expect(isoWeek(new Date('2024-12-29T23:59:59Z'))).toBe('2024-W52'); // a Sunday
    expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01'); // its Monday
    expect(isoWeek(new Date('2027-01-01T12:00:00Z'))).toBe('2026-W53');
    expect(isoWeek(new Date('2021-01-03T12:00:00Z'))).toBe('2020-W53');
  });

  it('cuts the first and last week to the window', () => {
    const weeks = weeksOf({
      since: new Date('2025-03-06T12:00:00Z'),
      until: new Date('2025-03-11T06:00:00Z'),
    });
    expect(weeks).toEqual([
      {
        week: '2025-W10',
        start: new Date('2025-03-06T12:00:00Z'),
        end: new Date('2025-03-10T00:00:00Z'),
      },
      {
        week: '2025-W11',
        start: new Date('2025-03-10T00:00:00Z'),
        end: new Date('2025-03-11T06:00:00Z'),
      },
    ]);
  });
});

describe('quantiles', () => {
  it('interpolates between the closest ranks', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    // Rank 0.9 × 9 = 8.1: 9 + 0.1 × (100 − 9).
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 0.9)).toBeCloseTo(18.1, 10);
  });
});
