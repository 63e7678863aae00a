import { describe, expect, it } from 'vitest';
import { computeDora } from './compute.js';
import type { DoraAlert, DoraDeployment, DoraFigures, DoraTargetReport } from './types.js';

/** `'03-05 09:00'` → that minute of March 2025, UTC. */
function t(when: string): Date {
  return new Date(`2025-${when.replace(' ', 'T')}:00.000Z`);
}

const HOUR = 3600;
const MINUTE = 60;

function deploy(
  id: string,
  overrides: Partial<DoraDeployment> & { startedAt: Date | null },
): DoraDeployment {
  return {
    id,
    service: 'web',
    environment: 'production',
    version: id,
    kind: 'deploy',
    state: 'succeeded',
    requestedAt: overrides.startedAt ?? t('03-01 00:00'),
    finishedAt: null,
    failedAt: null,
    committedAt: null,
    reportedAt: null,
    liveBefore: false,
    ...overrides,
  };
}

/**
 * The window: Wednesday 5 March 2025 00:00 UTC to Monday 24 March 00:00, 19 days. It touches
 * three ISO weeks: 2025-W10 cut to 5–10 March (5 days), W11 (10–17, 7 days), W12 (17–24, 7 days).
 *
 * web in production, one line per record:
 * - d0  1.0 went live 4 March, before the window: not counted.
 * - d1  1.1 live 03-05 09:00; committed 05:00 (reported 06:00)            lead 4h from the commit
 * - d2  1.2 a canary: started 03-06 10:00, its alert fired 10:05, it failed 10:20 and the engine
 *       rolled it back by 10:30; the alert resolved 10:45. One failure (failed + alert), from
 *       10:05, restored by its own rollback at 10:30                          restore 25m
 * - d3  1.3 live 03-07 12:00; no commit time, reported 09:00               lead 3h from the build
 *       Two alert groups tied to it: 13:00–16:00 and 13:10–13:20. A rollback (r1) asked at 13:30
 *       while it was live, back to 1.1 by 14:00. One failure (rollback + alert), from 13:00,
 *       restored at 14:00 by r1 going live (16:00 is when all its alerts had resolved)  restore 1h
 * - d9  cancelled on 03-12 before it started: not a change. W11 has no deploys.
 * - d4  1.4 live 03-17 10:00; committed 03-16 22:00                        lead 12h
 *       An alert tied to it fired 11:00 and resolved 15:00. d5 went live while it fired: the alert
 *       is d4's (tied when it fired), not d5's. Restored at 12:30 by d5       restore 1h30m
 * - d5  1.5 live 03-17 12:30; committed 11:30                              lead 1h
 * - d6  1.3 again, live 03-18 09:30: a redeploy, counted as a deploy, no lead time.
 * - d8  hotfix live 03-19 10:20, deployed by hand: no commit, no build report: unmeasured.
 * - d7  1.6 started 03-23 23:00, still running at the window's end: not counted.
 */
const web: DoraDeployment[] = [
  deploy('d0', { startedAt: t('03-04 10:00'), finishedAt: t('03-04 10:30') }),
  deploy('d1', {
    startedAt: t('03-05 08:10'),
    finishedAt: t('03-05 09:00'),
    committedAt: t('03-05 05:00'),
    reportedAt: t('03-05 06:00'),
  }),
  deploy('d2', {
    state: 'rolled_back',
    startedAt: t('03-06 10:00'),
    failedAt: t('03-06 10:20'),
    finishedAt: t('03-06 10:30'),
    committedAt: t('03-06 08:00'),
  }),
  deploy('d3', {
    startedAt: t('03-07 11:00'),
    finishedAt: t('03-07 12:00'),
    reportedAt: t('03-07 09:00'),
  }),
  deploy('r1', {
    kind: 'rollback',
    version: 'd1',
    requestedAt: t('03-07 13:30'),
    startedAt: t('03-07 13:31'),
    finishedAt: t('03-07 14:00'),
  }),
  deploy('d9', { state: 'cancelled', startedAt: null, finishedAt: t('03-12 10:00') }),
  deploy('d4', {
    startedAt: t('03-17 09:00'),
    finishedAt: t('03-17 10:00'),
    committedAt: t('03-16 22:00'),
    reportedAt: t('03-17 08:00'),
  }),
  deploy('d5', {
    startedAt: t('03-17 12:00'),
    finishedAt: t('03-17 12:30'),
    committedAt: t('03-17 11:30'),
  }),
  deploy('d6', {
    version: 'd3',
    startedAt: t('03-18 09:00'),
    finishedAt: t('03-18 09:30'),
    reportedAt: t('03-07 09:00'),
    liveBefore: true,
  }),
  deploy('d8', { startedAt: t('03-19 10:00'), finishedAt: t('03-19 10:20') }),
  deploy('d7', { state: 'running', startedAt: t('03-23 23:00'), committedAt: t('03-23 20:00') }),
];

/** api in production: one deploy that failed on 03-20 and nothing went live after it. */
const api: DoraDeployment[] = [
  deploy('e1', {
    service: 'api',
    state: 'failed',
    startedAt: t('03-20 09:50'),
    failedAt: t('03-20 09:55'),
    finishedAt: t('03-20 09:55'),
    committedAt: t('03-20 09:00'),
  }),
];

const alerts: DoraAlert[] = [
  { deploymentId: 'd2', firedAt: t('03-06 10:05'), resolvedAt: t('03-06 10:45') },
  { deploymentId: 'd3', firedAt: t('03-07 13:00'), resolvedAt: t('03-07 16:00') },
  { deploymentId: 'd3', firedAt: t('03-07 13:10'), resolvedAt: t('03-07 13:20') },
  { deploymentId: 'd4', firedAt: t('03-17 11:00'), resolvedAt: t('03-17 15:00') },
  // Fired after the window's end: not known at its end.
  { deploymentId: 'd5', firedAt: t('03-24 00:30'), resolvedAt: null },
];

const report = computeDora({
  window: { since: t('03-05 00:00'), until: t('03-24 00:00') },
  targets: [
    { service: 'web', environment: 'production' },
    { service: 'api', environment: 'production' },
    { service: 'worker', environment: 'production' },
  ],
  deployments: [...web, ...api],
  alerts,
});

function target(service: string): DoraTargetReport {
  const found = report.targets.find((r) => r.service === service);
  if (!found) throw new Error(`no report for ${service}`);
  return found;
}

/** A span where nothing happened. */
function quiet(days: number): DoraFigures {
  return {
    days,
    deployments: 0,
    deploymentsPerWeek: 0,
    deploymentsPerDay: 0,
    leadTime: {
      samples: 0,
      fromCommit: 0,
      fromBuild: 0,
      unmeasured: 0,
      medianSeconds: null,
      p90Seconds: null,
    },
    changes: 0,
    failedChanges: 0,
    changeFailureRate: null,
    timeToRestore: { samples: 0, unrestored: 0, medianSeconds: null },
  };
}

describe('DORA metrics from a fixture computed by hand', () => {
  it('counts web over the whole window', () => {
    expect(target('web').total).toEqual({
      days: 19,
      // Went live: d1 d3 d4 d5 d6 d8. Not r1 (a rollback), d2 (rolled back), d7 (running), d0.
      deployments: 6,
      deploymentsPerWeek: (6 * 7) / 19, // 2.21…
      deploymentsPerDay: 6 / 19,
      leadTime: {
        // d5 1h, d3 3h, d1 4h, d4 12h. Median (3h + 4h) / 2 = 3h30m; p90 at rank 0.9 × 3 = 2.7:
        // 4h + 0.7 × (12h − 4h) = 9h36m.
        samples: 4,
        fromCommit: 3,
        fromBuild: 1,
        unmeasured: 1, // d8
        medianSeconds: 3.5 * HOUR,
        p90Seconds: 9.6 * HOUR,
      },
      // d1 d2 d3 d4 d5 d6 d8 ran and ended; d2, d3 and d4 failed, each once: 3 / 7.
      changes: 7,
      failedChanges: 3,
      changeFailureRate: 3 / 7,
      // 25m, 1h, 1h30m: the median is 1h.
      timeToRestore: { samples: 3, unrestored: 0, medianSeconds: HOUR },
    });
  });

  it('counts each failed deployment once, with every cause, from its first sign to its restore', () => {
    expect(target('web').failures).toEqual([
      {
        deploymentId: 'd2',
        version: 'd2',
        causes: ['failed', 'alert'],
        at: t('03-06 10:05'),
        restoredAt: t('03-06 10:30'),
      },
      {
        deploymentId: 'd3',
        version: 'd3',
        causes: ['rollback', 'alert'],
        at: t('03-07 13:00'),
        restoredAt: t('03-07 14:00'),
      },
      {
        deploymentId: 'd4',
        version: 'd4',
        causes: ['alert'],
        at: t('03-17 11:00'),
        restoredAt: t('03-17 12:30'),
      },
    ]);
  });

  it('reports every week of the window, the quiet one as zeros', () => {
    const weeks = target('web').weeks;
    expect(weeks.map((w) => [w.week, w.start, w.end])).toEqual([
      ['2025-W10', t('03-05 00:00'), t('03-10 00:00')],
      ['2025-W11', t('03-10 00:00'), t('03-17 00:00')],
      ['2025-W12', t('03-17 00:00'), t('03-24 00:00')],
    ]);
    const [w10, w11, w12] = weeks;
    expect(w10).toMatchObject({
      days: 5,
      deployments: 2, // d1 d3
      deploymentsPerWeek: (2 * 7) / 5, // 2.8
      deploymentsPerDay: 2 / 5,
      // 3h and 4h: median 3h30m; p90 at rank 0.9: 3h + 0.9 × 1h = 3h54m.
      leadTime: { samples: 2, medianSeconds: 3.5 * HOUR, p90Seconds: 3.9 * HOUR },
      changes: 3, // d1 d2 d3
      failedChanges: 2, // d2 d3
      changeFailureRate: 2 / 3,
      // 25m and 1h: (25m + 60m) / 2 = 42m30s.
      timeToRestore: { samples: 2, unrestored: 0, medianSeconds: 42.5 * MINUTE },
    });
    // d9 was cancelled before it started: the week stays empty.
    expect(w11).toEqual({
      week: '2025-W11',
      start: t('03-10 00:00'),
      end: t('03-17 00:00'),
      ...quiet(7),
    });
    expect(w12).toMatchObject({
      days: 7,
      deployments: 4, // d4 d5 d6 d8; d7 is still running
      deploymentsPerWeek: 4,
      // d5 1h, d4 12h: median 6h30m; p90: 1h + 0.9 × 11h = 10h54m. d6 is a redeploy, d8 unmeasured.
      leadTime: {
        samples: 2,
        fromCommit: 2,
        fromBuild: 0,
        unmeasured: 1,
        medianSeconds: 6.5 * HOUR,
        p90Seconds: 10.9 * HOUR,
      },
      changes: 4,
      failedChanges: 1, // d4 only: d5 went live while d4's alert fired
      changeFailureRate: 1 / 4,
      timeToRestore: { samples: 1, unrestored: 0, medianSeconds: 1.5 * HOUR },
    });
  });

  it('keeps a failure nothing restored before the window ended as unrestored', () => {
    const { total, weeks, failures } = target('api');
    expect(total).toMatchObject({
      deployments: 0,
      changes: 1,
      failedChanges: 1,
      changeFailureRate: 1,
      leadTime: { samples: 0, unmeasured: 0, medianSeconds: null },
      timeToRestore: { samples: 0, unrestored: 1, medianSeconds: null },
    });
    expect(failures).toEqual([
      {
        deploymentId: 'e1',
        version: 'e1',
        causes: ['failed'],
        at: t('03-20 09:55'),
        restoredAt: null,
      },
    ]);
    expect(weeks.map((w) => w.failedChanges)).toEqual([0, 0, 1]);
  });

  it('reports a target without any record, every week as zeros', () => {
    const worker = target('worker');
    expect(worker.total).toEqual(quiet(19));
    expect(worker.weeks.map((w) => [w.week, w.days, w.deployments])).toEqual([
      ['2025-W10', 5, 0],
      ['2025-W11', 7, 0],
      ['2025-W12', 7, 0],
    ]);
    expect(worker.failures).toEqual([]);
  });
});

describe('DORA edge cases', () => {
  const window = { since: t('03-03 00:00'), until: t('03-10 00:00') };
  const one = (deployments: DoraDeployment[], extra: DoraAlert[] = []) =>
    computeDora({
      window,
      targets: [{ service: 'web', environment: 'production' }],
      deployments,
      alerts: extra,
    }).targets[0] as DoraTargetReport;

  it('blames a rollback on the deploy live when it was asked for, not on a deploy that failed since', () => {
    const report = one([
      deploy('live', { startedAt: t('03-04 09:00'), finishedAt: t('03-04 10:00') }),
      // Failed and rolled back by the engine: 'live' is live again.
      deploy('bad', {
        state: 'rolled_back',
        startedAt: t('03-05 09:00'),
        failedAt: t('03-05 09:10'),
        finishedAt: t('03-05 09:20'),
      }),
      deploy('r', {
        kind: 'rollback',
        requestedAt: t('03-05 11:00'),
        startedAt: t('03-05 11:01'),
        finishedAt: t('03-05 11:10'),
      }),
    ]);
    expect(report.failures.map((f) => [f.deploymentId, f.causes])).toEqual([
      ['live', ['rollback']],
      ['bad', ['failed']],
    ]);
    // 'live' from the request at 11:00 to r live at 11:10; 'bad' from 09:10 to its rollback at 09:20.
    expect(report.failures.map((f) => f.restoredAt)).toEqual([t('03-05 11:10'), t('03-05 09:20')]);
  });

  it('does not count a rollback that had not started by the window’s end', () => {
    const report = one([
      deploy('live', { startedAt: t('03-09 09:00'), finishedAt: t('03-09 10:00') }),
      deploy('r', {
        kind: 'rollback',
        state: 'queued',
        requestedAt: t('03-09 23:00'),
        startedAt: null,
      }),
    ]);
    expect(report.total.failedChanges).toBe(0);
  });

  it('counts a deploy in the window it went live in, though it started before, with its alert', () => {
    const report = one(
      [deploy('early', { startedAt: t('03-02 23:00'), finishedAt: t('03-03 00:30') })],
      [{ deploymentId: 'early', firedAt: t('03-03 01:00'), resolvedAt: null }],
    );
    expect(report.total).toMatchObject({ changes: 1, failedChanges: 1 });
    expect(report.total.timeToRestore).toEqual({ samples: 0, unrestored: 1, medianSeconds: null });
  });

  it('treats a commit time after the deploy went live as unmeasured', () => {
    const report = one([
      deploy('skewed', {
        startedAt: t('03-04 09:00'),
        finishedAt: t('03-04 10:00'),
        committedAt: t('03-04 11:00'),
      }),
    ]);
    expect(report.total.leadTime).toMatchObject({ samples: 0, unmeasured: 1 });
  });
});
