import { describe, expect, it } from 'vitest';
import type { Deployment, DeploymentState, Transition } from '../../core/deployment.js';
import { clip, plannedStatuses } from './plan.js';

function deployment(changes: Partial<Deployment> = {}): Deployment {
  const at = new Date('2026-03-01T10:00:00Z');
  return {
    id: 'd-1',
    service: 'web',
    environment: 'staging',
    version: '1.4.2',
    ref: null,
    previousVersion: '1.4.1',
    kind: 'deploy',
    state: 'succeeded',
    requestedBy: 'U-DEV1',
    source: 'chat',
    channel: 'C-WEB',
    reason: null,
    correlationId: 'c-1',
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
    startedAt: at,
    finishedAt: at,
    ...changes,
  };
}

/** Transitions through `states`, each with its reason. */
function moves(...steps: [DeploymentState, string?][]): Transition[] {
  let from: DeploymentState | null = null;
  return steps.map(([to, reason], seq) => {
    const t: Transition = {
      deploymentId: 'd-1',
      seq,
      from,
      to,
      actor: 'slipway',
      at: new Date(),
      reason: reason ?? null,
      correlationId: 'c-1',
    };
    from = to;
    return t;
  });
}

const states = (planned: { state: string }[]) => planned.map((p) => p.state);

describe('planned GitHub statuses', () => {
  it('follows a deploy from the queue to success, verifying being still in progress', () => {
    const planned = plannedStatuses(
      deployment(),
      moves(['requested'], ['queued'], ['running'], ['verifying'], ['succeeded', 'deployed 1.4.2']),
    );
    expect(planned).toEqual([
      { state: 'queued', description: 'waiting for its turn' },
      { state: 'in_progress', description: 'deploying 1.4.2' },
      { state: 'success', description: 'deployed 1.4.2' },
    ]);
  });

  it('is pending while approvals are awaited, and a rollback says what it rolls back to', () => {
    const d = deployment({ kind: 'rollback', version: '1.4.1' });
    const planned = plannedStatuses(
      d,
      moves(['requested'], ['awaiting_approval', 'needs 1 approval'], ['queued'], ['running']),
    );
    expect(planned).toEqual([
      { state: 'pending', description: 'needs 1 approval' },
      { state: 'queued', description: 'waiting for its turn' },
      { state: 'in_progress', description: 'rolling back to 1.4.1' },
    ]);
  });

  it('is another in_progress while rolling back, and a failure at the end', () => {
    const planned = plannedStatuses(
      deployment({ state: 'rolled_back', outcome: 'exit 3' }),
      moves(
        ['requested'],
        ['queued'],
        ['running'],
        ['rolling_back', 'exit 3; rolling back to 1.4.1'],
        ['rolled_back', 'rolled back to 1.4.1 after: exit 3'],
      ),
    );
    expect(planned.slice(2)).toEqual([
      { state: 'in_progress', description: 'exit 3; rolling back to 1.4.1' },
      { state: 'failure', description: 'rolled back to 1.4.1 after: exit 3' },
    ]);
  });

  it('is an error when the driver could not be run, not a failure of the deploy', () => {
    const reason = 'command driver error: spawn ENOENT';
    const failed = plannedStatuses(
      deployment({ state: 'failed', outcome: reason }),
      moves(['requested'], ['queued'], ['running'], ['failed', reason]),
    );
    expect(states(failed)).toEqual(['queued', 'in_progress', 'error']);
    const missing = 'Driver "command" is not available in this Slipway; nothing was changed.';
    expect(
      states(
        plannedStatuses(deployment({ state: 'failed' }), moves(['running'], ['failed', missing])),
      ),
    ).toEqual(['in_progress', 'error']);
    const plain = plannedStatuses(
      deployment({ state: 'failed', outcome: 'exit 3' }),
      moves(['running'], ['failed', 'exit 3']),
    );
    expect(states(plain)).toEqual(['in_progress', 'failure']);
  });

  it('marks superseded and cancelled requests inactive, saying why', () => {
    const planned = plannedStatuses(
      deployment({ state: 'superseded' }),
      moves(
        ['requested'],
        ['queued'],
        ['superseded', 'superseded by d-2 (1.4.3, requested by U-DEV2)'],
      ),
    );
    expect(planned).toEqual([
      { state: 'queued', description: 'waiting for its turn' },
      { state: 'inactive', description: 'superseded by d-2 (1.4.3, requested by U-DEV2)' },
    ]);
    expect(
      states(
        plannedStatuses(deployment(), moves(['requested'], ['cancelled', 'cancelled by U-1'])),
      ),
    ).toEqual(['inactive']);
  });

  it('retires a success that a newer deployment replaced or whose preview was torn down', () => {
    const ran = moves(['requested'], ['queued'], ['running'], ['succeeded', 'live']);
    const replaced = plannedStatuses(deployment(), ran, {
      replacedBy: { id: 'd-2', version: '1.4.3', kind: 'deploy' },
    });
    expect(replaced.at(-1)).toEqual({ state: 'inactive', description: 'replaced by 1.4.3 (d-2)' });
    const rolled = plannedStatuses(deployment(), ran, {
      replacedBy: { id: 'd-3', version: '1.4.1', kind: 'rollback' },
    });
    expect(rolled.at(-1)?.description).toBe('rolled back to 1.4.1 (d-3)');
    const torn = plannedStatuses(deployment(), ran, { tornDownBy: 'U-DEV1' });
    expect(torn.at(-1)).toEqual({
      state: 'inactive',
      description: 'preview removed: the review was closed by U-DEV1',
    });
    // Nothing to retire while it is not a success.
    const failed = moves(['requested'], ['queued'], ['running'], ['failed', 'exit 3']);
    expect(states(plannedStatuses(deployment(), failed, { tornDownBy: 'U-DEV1' }))).toEqual([
      'queued',
      'in_progress',
      'failure',
    ]);
  });

  it('keeps descriptions within GitHub’s 140 characters, on one line', () => {
    expect(clip('a\n  b')).toBe('a b');
    const long = clip('x'.repeat(300));
    expect(long).toHaveLength(140);
    expect(long.endsWith('…')).toBe(true);
    const planned = plannedStatuses(deployment(), moves(['running'], ['failed', 'y'.repeat(500)]));
    expect(planned.every((p) => p.description.length <= 140)).toBe(true);
  });
});
