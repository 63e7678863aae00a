import type { Deployment } from '../../core/deployment.js';

/** A fixed time, for views that show times. */
export const at = new Date('2026-03-01T10:00:00.000Z');

/** A deployment as the store returns it; override what the test is about. */
export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: 'd-1a2b3c',
    service: 'web',
    environment: 'staging',
    version: '1.4.2',
    previousVersion: '1.4.1',
    ref: null,
    kind: 'deploy',
    state: 'running',
    requestedBy: 'U-ALICE',
    source: 'chat',
    channel: 'C-WEB',
    reason: null,
    correlationId: 'corr-1',
    idempotencyKey: null,
    freezeOverride: false,
    approvalsRequired: 0,
    driver: 'command',
    driverRef: null,
    progress: null,
    outcome: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}
