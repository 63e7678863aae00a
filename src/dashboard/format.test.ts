import { describe, expect, it } from 'vitest';
import { ago, span, stateBadge, when } from './format.js';

describe('format', () => {
  const now = new Date('2026-12-06T12:00:00Z');

  it('writes lengths of time in the largest unit that fits', () => {
    expect(span(2_000)).toBe('now');
    expect(span(45_000)).toBe('45 s');
    expect(span(12 * 60_000)).toBe('12 min');
    expect(span((3 * 60 + 5) * 60_000)).toBe('3 h 5 min');
    expect(span(50 * 3_600_000)).toBe('2 d 2 h');
  });

  it('says how long ago, or how long until', () => {
    expect(ago(new Date('2026-12-06T11:55:00Z'), now)).toBe('5 min ago');
    expect(ago(new Date('2026-12-06T14:00:00Z'), now)).toBe('in 2 h');
  });

  it('marks moments up with their exact time', () => {
    expect(when(new Date('2026-12-06T11:00:00Z'), now).text).toBe(
      '<time datetime="2026-12-06T11:00:00.000Z" title="2026-12-06 11:00 UTC">1 h ago</time>',
    );
    expect(stateBadge('awaiting_approval').text).toBe(
      '<span class="badge warn">awaiting approval</span>',
    );
  });
});
