import { describe, expect, it } from 'vitest';
import { createDedupe } from './dedupe.js';

describe('delivery dedupe', () => {
  it('acts on an id once within the window, and again once the window has passed', () => {
    let t = 0;
    const dedupe = createDedupe(1_000, 100, () => t);
    expect(dedupe.first('a')).toBe(true);
    t = 999;
    expect(dedupe.first('a')).toBe(false);
    t = 1_000;
    expect(dedupe.first('a')).toBe(true);
    t = 1_500;
    expect(dedupe.first('a')).toBe(false);
  });

  it('keeps an id seen again after it expired for a full window from then', () => {
    let t = 0;
    const dedupe = createDedupe(1_000, 100, () => t);
    dedupe.first('a');
    t = 1_200;
    expect(dedupe.first('a')).toBe(true);
    // The first sighting's queue entry was dropped at 1,200; it must not take the second along.
    t = 1_300;
    dedupe.first('b');
    t = 2_100;
    expect(dedupe.first('a')).toBe(false);
  });

  it('forgets the oldest ids first when it holds more than max', () => {
    const dedupe = createDedupe(60_000, 3, () => 0);
    for (const id of ['a', 'b', 'c', 'd']) expect(dedupe.first(id)).toBe(true);
    expect(dedupe.first('d')).toBe(false);
    expect(dedupe.first('c')).toBe(false);
    expect(dedupe.first('a')).toBe(true);
  });

  it('stays exact across many ids (the queue is compacted along the way)', () => {
    let t = 0;
    const dedupe = createDedupe(10_000, 5_000, () => t);
    for (let i = 0; i < 20_000; i++) {
      t = i;
      expect(dedupe.first(`id-${i}`)).toBe(true);
    }
    // The last 5,000 are remembered (and within the window); the one before them is not.
    expect(dedupe.first('id-19999')).toBe(false);
    expect(dedupe.first('id-15000')).toBe(false);
    expect(dedupe.first('id-14999')).toBe(true);
  });
});
