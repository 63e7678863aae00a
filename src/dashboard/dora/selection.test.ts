import { describe, expect, it } from 'vitest';
import { computeDora } from '../../dora/compute.js';
import type { DoraDeployment } from '../../dora/types.js';
import { selectionOf } from './selection.js';

const at = (day: number, hour: number, minute = 0) =>
  new Date(Date.UTC(2025, 2, day, hour, minute));

/** A deploy that ran 10 minutes and ended `state` at `end`; committed `leadHours` before. */
function deploy(
  id: string,
  service: string,
  end: Date,
  state: 'succeeded' | 'failed',
  leadHours: number,
): DoraDeployment {
  return {
    id,
    service,
    environment: 'production',
    version: id,
    kind: 'deploy',
    state,
    requestedAt: new Date(end.getTime() - 600_000),
    startedAt: new Date(end.getTime() - 600_000),
    finishedAt: end,
    failedAt: state === 'failed' ? end : null,
    committedAt: new Date(end.getTime() - leadHours * 3_600_000),
    reportedAt: null,
    liveBefore: false,
  };
}

/**
 * Monday 10 March to Monday 24 March 2025: W11 and W12, whole.
 * web: w1 live (lead 1h), w2 failed on the 12th, restored 10 min later by w3 (lead 3h).
 * api: a1 failed, a2 live 30 min later; a3 failed on the 18th, a4 live an hour later.
 */
const report = computeDora({
  window: { since: at(10, 0), until: at(24, 0) },
  targets: [
    { service: 'web', environment: 'production' },
    { service: 'api', environment: 'production' },
  ],
  deployments: [
    deploy('w1', 'web', at(11, 9), 'succeeded', 1),
    deploy('w2', 'web', at(12, 9), 'failed', 2),
    deploy('w3', 'web', at(12, 9, 10), 'succeeded', 3),
    deploy('a1', 'api', at(13, 9), 'failed', 1),
    deploy('a2', 'api', at(13, 9, 30), 'succeeded', 5),
    deploy('a3', 'api', at(18, 9), 'failed', 1),
    deploy('a4', 'api', at(18, 10), 'succeeded', 7),
  ],
  alerts: [],
});

describe('selectionOf', () => {
  const s = selectionOf(report);

  it('adds counts, and rates made of counts', () => {
    expect(s).toMatchObject({ targets: 2, days: 14, deployments: 4, changes: 7, failedChanges: 3 });
    expect(s.deploymentsPerWeek).toBe(2);
    expect(s.deploymentsPerDay).toBeCloseTo(4 / 14);
    expect(s.changeFailureRate).toBeCloseTo(3 / 7);
  });

  it('takes the median of every restore, not a median of medians', () => {
    // Restores: web 10 min; api 30 min and 60 min. Per target the medians are 10 and 45 min.
    expect(report.targets.map((t) => t.total.timeToRestore.medianSeconds)).toEqual([600, 2_700]);
    expect(s.timeToRestore).toEqual({ samples: 3, unrestored: 0, medianSeconds: 1_800 });
  });

  it('gives the lowest and highest lead time median, since the report has no pooled one', () => {
    // web: 1h and 3h, median 2h; api: 5h and 7h, median 6h.
    expect(s.leadTime).toEqual({
      spread: { measured: 2, lowestMedianSeconds: 7_200, highestMedianSeconds: 21_600, samples: 4 },
    });
    const one = selectionOf({ ...report, targets: report.targets.slice(0, 1) });
    expect(one.leadTime).toEqual({ one: report.targets[0]?.total.leadTime });
  });

  it('adds each week across targets', () => {
    expect(s.weeks).toEqual([
      { week: '2025-W11', deployments: 3, changes: 5, failedChanges: 2, changeFailureRate: 0.4 },
      { week: '2025-W12', deployments: 1, changes: 2, failedChanges: 1, changeFailureRate: 0.5 },
    ]);
  });
});
