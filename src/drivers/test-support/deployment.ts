import type { Deployment } from '../../core/deployment.js';

/**
 * A deployment as a driver sees it while it runs (web 1.2.3 to staging, 1.2.2 before it), for
 * drivers' own tests; each driver's test support names its id, correlation id and driver.
 */
export function runningDeployment(
  base: Pick<Deployment, 'id' | 'correlationId' | 'driver'>,
  overrides: Partial<Deployment> = {},
): Deployment {
  const now = new Date();
  return {
    service: 'web',
    environment: 'staging',
    version: '1.2.3',
    previousVersion: '1.2.2',
    ref: null,
    kind: 'deploy',
    state: 'running',
    requestedBy: 'U1',
    source: 'chat',
    channel: null,
    reason: null,
    idempotencyKey: null,
    freezeOverride: false,
    approvalsRequired: 0,
    driverRef: null,
    progress: null,
    outcome: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    finishedAt: null,
    ...base,
    ...overrides,
  };
}
