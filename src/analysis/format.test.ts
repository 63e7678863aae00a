import { describe, expect, it } from 'vitest';
import { formatValue } from './format.js';

describe('formatValue', () => {
  it.each([
    [0.88, undefined, '0.88'],
    [0.882_352_9, undefined, '0.882'],
    [612.44, undefined, '612.4'],
    [0.000_123_4, undefined, '0.000123'],
    [Number.NaN, undefined, 'NaN'],
    [Number.POSITIVE_INFINITY, undefined, '+Inf'],
    [Number.NEGATIVE_INFINITY, undefined, '-Inf'],
    // Beside a threshold, enough digits to differ from it.
    [0.9496, 0.95, '0.9496'],
    [0.949_999_9, 0.95, '0.9499999'],
    [0.95, 0.95, '0.95'],
    [499.96, 500, '499.96'],
  ])('%d (against %s) reads %s', (value, against, expected) => {
    expect(formatValue(value, against)).toBe(expected);
  });
});
