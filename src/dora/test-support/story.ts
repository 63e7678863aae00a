import type { DeploymentState } from '../../core/deployment.js';
import { newDeployment } from '../../store/test-support/fixtures.js';
import type { NewDeployment, Store } from '../../store/types.js';
import type { DoraWindow } from '../types.js';

/** `'03-05 09:00'` → that minute of March 2025, UTC. */
export function t(when: string): Date {
  return new Date(`2025-${when.replace(' ', 'T')}:00.000Z`);
}

export const window: DoraWindow = { since: t('03-05 00:00'), until: t('03-24 00:00') };
export const targets = [
  { service: 'web', environment: 'production' },
  { service: 'api', environment: 'production' },
];

/** A deployment taken through `steps` as the engine would: one transition row each. */
export async function walk(
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
export async function alertGroup(
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
export async function seed(store: Store) {
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
