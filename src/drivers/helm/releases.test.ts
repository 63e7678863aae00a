import { describe, expect, it } from 'vitest';
import {
  deployDescription,
  liveRevision,
  markedRevision,
  parseHistory,
  parseValues,
  previousRevisionIn,
  revisionAfter,
  revisionBeforeLive,
  valueAt,
} from './releases.js';

// As helm v4.3.2 printed it for the test chart: an install, two upgrades (the second failed,
// with helm's own description in place of ours), then a rollback.
const HISTORY = JSON.stringify([
  {
    revision: 2,
    updated: '2026-12-06T09:34:27.653417105Z',
    status: 'superseded',
    chart: 'web-0.1.0',
    app_version: '1.0.0',
    description: 'Slipway deploy d2: web 1.1.0 by alice (live before: revision 1)',
  },
  {
    revision: 1,
    updated: '2026-12-06T09:33:20.833268176Z',
    status: 'superseded',
    chart: 'web-0.1.0',
    app_version: '1.0.0',
    description: 'Install complete',
  },
  {
    revision: 3,
    updated: '2026-12-06T09:35:00Z',
    status: 'failed',
    chart: 'web-0.1.0',
    app_version: '1.0.0',
    description: 'Upgrade "web" failed: context deadline exceeded',
  },
  {
    revision: 4,
    updated: '2026-12-06T09:36:00Z',
    status: 'deployed',
    chart: 'web-0.1.0',
    app_version: '1.0.0',
    description: 'Rollback to 2',
  },
]);

describe('helm history', () => {
  const history = parseHistory(HISTORY);

  it('reads revisions oldest first, and none from null or an empty list', () => {
    expect(history.map((e) => e.revision)).toEqual([1, 2, 3, 4]);
    expect(parseHistory('null')).toEqual([]);
    expect(parseHistory('[]')).toEqual([]);
    expect(() => parseHistory('Error: nope')).toThrow(/not JSON: Error: nope/);
    expect(() => parseHistory('[{"revision":"x","status":"deployed"}]')).toThrow();
  });

  it('finds the live revision and the one that ran before it, skipping a failed attempt', () => {
    expect(liveRevision(history)?.revision).toBe(4);
    expect(revisionBeforeLive(history)?.revision).toBe(2);
    expect(liveRevision(parseHistory('[]'))).toBeNull();
  });

  it('finds the revision a deployment wrote by its description, and what was live before', () => {
    expect(markedRevision(history, 'd2')?.revision).toBe(2);
    expect(markedRevision(history, 'd1')).toBeNull();
    expect(previousRevisionIn(history[1]?.description ?? '')).toBe(1);
    expect(previousRevisionIn('Install complete')).toBeUndefined();
    const first = deployDescription({
      deploymentId: 'dep-9',
      service: 'web',
      version: '1.0.0',
      actor: 'U123',
      previousRevision: null,
    });
    expect(first).toBe('Slipway deploy dep-9: web 1.0.0 by U123 (live before: none)');
    expect(previousRevisionIn(first)).toBeNull();
  });

  it('finds the first revision written after a point, whatever its description', () => {
    expect(revisionAfter(history, 2)?.revision).toBe(3);
    expect(revisionAfter(history, 4)).toBeNull();
    expect(revisionAfter(history, 0)?.revision).toBe(1);
  });
});

describe('helm values', () => {
  it('reads a dotted path as text', () => {
    const values = parseValues('{"image":{"repository":"r/web","tag":"1.0.0"},"n":1.5,"b":true}');
    expect(valueAt(values, 'image.tag')).toBe('1.0.0');
    expect(valueAt(values, 'n')).toBe('1.5');
    expect(valueAt(values, 'b')).toBe('true');
    expect(valueAt(values, 'image')).toBeNull();
    expect(valueAt(values, 'image.tag.more')).toBeNull();
    expect(valueAt(values, 'missing.tag')).toBeNull();
    expect(parseValues('null')).toBeNull();
    expect(valueAt(null, 'image.tag')).toBeNull();
  });
});
