import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testDatabaseUrl, testSchemas } from '../../test/support/postgres.js';
import type { DeploymentState } from '../core/deployment.js';
import { createStore } from '../store/index.js';
import { newDeployment } from '../store/test-support/fixtures.js';
import type { NewDeployment, Store } from '../store/types.js';
import { computeDora } from './compute.js';
import type { DoraWindow } from './types.js';

// No skip: without a reachable or startable Postgres this throws and the file fails.
const schemas = testSchemas(await testDatabaseUrl());
afterAll(() => schemas.dropAll());

const DATABASES = [
  { name: 'SQLite', url: () => ':memory:' },
  { name: 'Postgres', url: () => schemas.next() },
];

/** `'03-05 09:00'` → that minute of March 2025, UTC. */
function t(when: string): Date {
  return new Date(`2025-${when.replace(' ', 'T')}:00.000Z`);
}

const window: DoraWindow = { since: t('03-05 00:00'), until: t('03-24 00:00') };
const targets = [
  { service: 'web', environment: 'production' },
  { service: 'api', environment: 'production' },
];

/** A deployment taken through `steps` as the engine would: one transition row each. */
async function walk(
  store: Store,
  fields: Partial<NewDeployment>,
  steps: [DeploymentState, string][],
): Promise<string> {
  const [[initial, createdAt], ...rest] = steps as [
    [DeploymentState, string],
    ...[DeploymentState, string][],
  ];
  const { deployment } = await store.createDeployment(
    newDeployment({ environment: 'production', ...fields }),
    initial,
    { actor: 'U-DEV1', at: t(createdAt) },
  );
  let from = initial;
  for (const [to, when] of rest) {
    const at = t(when);
    const moved = await store.transition(
      deployment.id,
      [from],
      to,
      { actor: 'U-DEV1', at },
      {
        ...(to === 'running' ? { startedAt: at } : {}),
      },
    );
    if (!moved) throw new Error(`${deployment.id} did not move from ${from} to ${to}`);
    from = to;
  }
  return deployment.id;
}

/** An alert group as the Alertmanager webhook stores it, tied to `deploymentId`. */
async function alertGroup(
  store: Store,
  groupId: string,
  deploymentId: string,
  alerts: { startsAt: string; endsAt: string | null }[],
) {
  const state = {
    receiver: 'slipway',
    externalURL: 'http://alertmanager.test',
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: { service: 'web', environment: 'production' },
    truncatedAlerts: 0,
    alerts: alerts.map((a, i) => ({
      fingerprint: `${groupId}-${i}`,
      status: a.endsAt ? 'resolved' : 'firing',
      labels: { alertname: 'HighErrorRate' },
      annotations: {},
      startsAt: t(a.startsAt).toISOString(),
      endsAt: a.endsAt ? t(a.endsAt).toISOString() : null,
      generatorURL: 'http://prometheus.test/graph',
    })),
    dropped: 0,
    autoRollback: null,
  };
  const saved = await store.saveAlertGroup({
    groupId,
    episode: 1,
    groupKey: `{}:{alertname="HighErrorRate",group="${groupId}"}`,
    state,
    deploymentId,
    revision: 0,
    at: t(alerts[0]?.startsAt ?? '03-01 00:00'),
  });
  if (!saved) throw new Error(`alert group ${groupId} was not saved`);
}

/**
 * The hand-computed fixture's story (compute.test.ts), told through the store: builds reported
 * to staging by the hook, promoted to production from chat, a canary rolled back by the engine,
 * alerts, a rollback, a redeploy, one still running, and deployments the report must leave out.
 */
async function seed(store: Store) {
  const build = (key: string) => ({
    source: 'webhook' as const,
    idempotencyKey: `build:${key}:staging`,
  });
  await walk(store, { version: '1.0.0' }, [
    ['queued', '03-04 09:00'],
    ['running', '03-04 10:00'],
    ['succeeded', '03-04 10:30'],
  ]);
  await walk(
    store,
    { version: '1.1.0', environment: 'staging', committedAt: t('03-05 05:00'), ...build('a') },
    [
      ['queued', '03-05 06:00'],
      ['running', '03-05 06:10'],
      ['succeeded', '03-05 06:20'],
    ],
  );
  const d1 = await walk(store, { version: '1.1.0' }, [
    ['queued', '03-05 08:00'],
    ['running', '03-05 08:10'],
    ['succeeded', '03-05 09:00'],
  ]);
  const d2 = await walk(store, { version: '1.2.0' }, [
    ['queued', '03-06 09:50'],
    ['running', '03-06 10:00'],
    ['rolling_back', '03-06 10:20'],
    ['rolled_back', '03-06 10:30'],
  ]);
  await alertGroup(store, 'ag-d2', d2, [{ startsAt: '03-06 10:05', endsAt: '03-06 10:45' }]);
  await walk(store, { version: '1.3.0', environment: 'staging', ...build('b') }, [
    ['queued', '03-07 09:00'],
    ['running', '03-07 09:05'],
    ['succeeded', '03-07 09:10'],
  ]);
  const d3 = await walk(store, { version: '1.3.0' }, [
    ['queued', '03-07 10:55'],
    ['running', '03-07 11:00'],
    ['succeeded', '03-07 12:00'],
  ]);
  await alertGroup(store, 'ag-d3', d3, [
    { startsAt: '03-07 13:00', endsAt: '03-07 16:00' },
    { startsAt: '03-07 13:10', endsAt: '03-07 13:20' },
  ]);
  const r1 = await walk(store, { version: '1.1.0', kind: 'rollback' }, [
    ['queued', '03-07 13:30'],
    ['running', '03-07 13:31'],
    ['succeeded', '03-07 14:00'],
  ]);
  const d6 = await walk(store, { version: '1.3.0' }, [
    ['queued', '03-18 08:55'],
    ['running', '03-18 09:00'],
    ['succeeded', '03-18 09:30'],
  ]);
  const d7 = await walk(store, { version: '1.6.0' }, [
    ['queued', '03-23 22:55'],
    ['running', '03-23 23:00'],
  ]);
  await walk(store, { version: '1.7.0' }, [['queued', '03-23 23:30']]);
  const e1 = await walk(
    store,
    { service: 'api', version: '2.0.0', committedAt: t('03-20 09:00') },
    [
      ['queued', '03-20 09:45'],
      ['running', '03-20 09:50'],
      ['failed', '03-20 09:55'],
    ],
  );
  return { d1, d2, d3, r1, d6, d7, e1 };
}

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
