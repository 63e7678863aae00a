import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testDatabaseUrl, testSchemas } from '../../test/support/postgres.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { computeDora } from './compute.js';
import { seed, t, targets, window } from './test-support/story.js';

// No skip: without a reachable or startable Postgres this throws and the file fails.
const schemas = testSchemas(await testDatabaseUrl());
afterAll(() => schemas.dropAll());

const DATABASES = [
  { name: 'SQLite', url: () => ':memory:' },
  { name: 'Postgres', url: () => schemas.next() },
];

describe.each(DATABASES)('DORA records on $name', ({ url }) => {
  let store: Store | null = null;
  afterEach(async () => {
    await store?.close();
    store = null;
  });

  async function open(): Promise<Store> {
    store = createStore(url(), { poolSize: 2 });
    await store.migrate();
    return store;
  }

  it('reads each production deployment of the window with its failure, commit, build and redeploy', async () => {
    const s = await open();
    const ids = await seed(s);
    const { deployments, alerts } = await s.doraRecords({ targets, window });
    const byId = new Map(deployments.map((d) => [d.id, d]));
    // Not 1.0.0 (ended before the window), not staging, not 1.7.0 (never started).
    expect([...byId.keys()].sort()).toEqual(
      [ids.d1, ids.d2, ids.d3, ids.r1, ids.d6, ids.d7, ids.e1].sort(),
    );
    expect(byId.get(ids.d1)).toMatchObject({
      version: '1.1.0',
      state: 'succeeded',
      requestedAt: t('03-05 08:00'),
      startedAt: t('03-05 08:10'),
      finishedAt: t('03-05 09:00'),
      failedAt: null,
      // From the build of 1.1.0 to staging, which the hook reported with its commit time.
      committedAt: t('03-05 05:00'),
      reportedAt: t('03-05 06:00'),
      liveBefore: false,
    });
    expect(byId.get(ids.d2)).toMatchObject({ state: 'rolled_back', failedAt: t('03-06 10:20') });
    expect(byId.get(ids.d3)).toMatchObject({ committedAt: null, reportedAt: t('03-07 09:00') });
    expect(byId.get(ids.d6)).toMatchObject({ liveBefore: true });
    expect(byId.get(ids.d7)).toMatchObject({ state: 'running', finishedAt: null });
    expect(byId.get(ids.e1)).toMatchObject({ failedAt: t('03-20 09:55'), committedAt: null });
    expect(alerts.sort((a, b) => a.firedAt.getTime() - b.firedAt.getTime())).toEqual([
      { deploymentId: ids.d2, firedAt: t('03-06 10:05'), resolvedAt: t('03-06 10:45') },
      { deploymentId: ids.d3, firedAt: t('03-07 13:00'), resolvedAt: t('03-07 16:00') },
    ]);
    const committed = await s.getDeployment(ids.e1);
    expect(committed?.committedAt).toEqual(t('03-20 09:00'));
  });

  it('gives the metrics computed by hand for the same story', async () => {
    const s = await open();
    const ids = await seed(s);
    const report = computeDora({ window, targets, ...(await s.doraRecords({ targets, window })) });
    const [web, api] = report.targets;
    expect(web?.total).toMatchObject({
      deployments: 3, // 1.1.0, 1.3.0 and its redeploy; not the rollback, not the running 1.6.0
      // 1.1.0: 09:00 − 05:00 (commit) = 4h; 1.3.0: 12:00 − 09:00 (build report) = 3h.
      leadTime: {
        samples: 2,
        fromCommit: 1,
        fromBuild: 1,
        unmeasured: 0,
        medianSeconds: 3.5 * 3600,
      },
      changes: 4,
      failedChanges: 2, // 1.2.0 (rolled back, with an alert), 1.3.0 (alerts and a rollback)
      changeFailureRate: 0.5,
      // 1.2.0: 10:05 → 10:30 = 25m; 1.3.0: 13:00 → 14:00 = 1h; median 42m30s.
      timeToRestore: { samples: 2, unrestored: 0, medianSeconds: 42.5 * 60 },
    });
    expect(web?.failures.map((f) => [f.deploymentId, f.causes])).toEqual([
      [ids.d2, ['failed', 'alert']],
      [ids.d3, ['rollback', 'alert']],
    ]);
    expect(web?.weeks.map((w) => [w.week, w.deployments])).toEqual([
      ['2025-W10', 2],
      ['2025-W11', 0],
      ['2025-W12', 1],
    ]);
    expect(api?.total).toMatchObject({ changes: 1, failedChanges: 1, deployments: 0 });
  });

  it('answers an empty database with empty records', async () => {
    const s = await open();
    expect(await s.doraRecords({ targets, window })).toEqual({ deployments: [], alerts: [] });
    expect(await s.doraRecords({ targets: [], window })).toEqual({ deployments: [], alerts: [] });
  });
});
