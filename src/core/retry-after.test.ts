import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './retry-after.js';

describe('Retry-After', () => {
  const now = Date.parse('2026-12-06T08:00:00Z');

  it('reads seconds, as a header value, a number or the first of repeated headers', () => {
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs(' 1.5 ', now)).toBe(1_500);
    expect(retryAfterMs(0, now)).toBe(0);
    expect(retryAfterMs(['2', '9'], now)).toBe(2_000);
  });

  it('reads an HTTP date as the time until then, never negative', () => {
    expect(retryAfterMs('Sun, 06 Dec 2026 08:00:42 GMT', now)).toBe(42_000);
    expect(retryAfterMs('Sun, 06 Dec 2026 07:59:00 GMT', now)).toBe(0);
  });

  it('says nothing for what is absent, negative or unreadable', () => {
    for (const value of [undefined, null, '', 'soon', '-5', {}]) {
      expect(retryAfterMs(value, now)).toBeUndefined();
    }
  });
});
