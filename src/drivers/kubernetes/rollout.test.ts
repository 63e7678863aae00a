import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { rolloutOf, tagOf } from './rollout.js';

function deployment(
  spec: { replicas?: number; generation?: number },
  status: V1Deployment['status'],
): V1Deployment {
  return {
    metadata: { name: 'web', generation: spec.generation ?? 2 },
    spec: { replicas: spec.replicas ?? 3, selector: {}, template: {} },
    status,
  };
}

describe('rolloutOf (the rules of kubectl rollout status)', () => {
  it('waits until the controller has observed the generation our write produced', () => {
    const d = deployment(
      { generation: 2 },
      {
        observedGeneration: 2,
        replicas: 3,
        updatedReplicas: 3,
        availableReplicas: 3,
        readyReplicas: 3,
      },
    );
    expect(rolloutOf(d, 3).state).toBe('progressing');
    expect(rolloutOf(d, 2).state).toBe('complete');
    const stale = deployment(
      { generation: 3 },
      { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
    );
    expect(rolloutOf(stale, 2)).toMatchObject({
      state: 'progressing',
      detail: expect.stringContaining('observed'),
    });
  });

  it('counts updated, old and available replicas in kubectl order', () => {
    expect(
      rolloutOf(
        deployment(
          {},
          {
            observedGeneration: 2,
            replicas: 4,
            updatedReplicas: 1,
            readyReplicas: 4,
            availableReplicas: 4,
          },
        ),
      ),
    ).toMatchObject({
      state: 'progressing',
      ready: 1,
      desired: 3,
      detail: 'web: ready 1 of 3, 1 updated',
    });
    expect(
      rolloutOf(
        deployment(
          {},
          {
            observedGeneration: 2,
            replicas: 4,
            updatedReplicas: 3,
            readyReplicas: 4,
            availableReplicas: 4,
          },
        ),
      ),
    ).toMatchObject({
      state: 'progressing',
      detail: 'web: ready 3 of 3, 1 old pending termination',
    });
    expect(
      rolloutOf(
        deployment(
          {},
          {
            observedGeneration: 2,
            replicas: 3,
            updatedReplicas: 3,
            readyReplicas: 2,
            availableReplicas: 2,
          },
        ),
      ),
    ).toMatchObject({
      state: 'progressing',
      ready: 2,
    });
    expect(
      rolloutOf(
        deployment(
          {},
          {
            observedGeneration: 2,
            replicas: 3,
            updatedReplicas: 3,
            readyReplicas: 3,
            availableReplicas: 3,
          },
        ),
      ).state,
    ).toBe('complete');
  });

  it('does not count ready pods of the old revision as ready new ones', () => {
    const d = deployment(
      {},
      {
        observedGeneration: 2,
        replicas: 4,
        updatedReplicas: 1,
        readyReplicas: 3,
        availableReplicas: 3,
      },
    );
    expect(rolloutOf(d)).toMatchObject({ state: 'progressing', ready: 0 });
  });

  it('fails on ProgressDeadlineExceeded, with the controller message', () => {
    const d = deployment(
      {},
      {
        observedGeneration: 2,
        replicas: 4,
        updatedReplicas: 1,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "web-5d" has timed out progressing.',
          },
        ],
      },
    );
    expect(rolloutOf(d)).toMatchObject({
      state: 'failed',
      detail:
        'web exceeded its progress deadline with 0 of 3 updated replicas ready (ReplicaSet "web-5d" has timed out progressing.)',
    });
  });

  it('treats a Deployment without replicas as one replica, like the API default', () => {
    const d: V1Deployment = {
      metadata: { name: 'web', generation: 1 },
      spec: { selector: {}, template: {} },
      status: {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        availableReplicas: 1,
        readyReplicas: 1,
      },
    };
    expect(rolloutOf(d)).toMatchObject({ state: 'complete', desired: 1 });
  });
});

describe('tagOf', () => {
  it.each([
    ['registry.example.com/web:1.2.3', 'registry.example.com/web', '1.2.3'],
    ['registry.example.com:5000/web:1.2.3', 'registry.example.com:5000/web', '1.2.3'],
    ['registry.example.com:5000/web', 'registry.example.com:5000/web', null],
    ['registry.example.com/web:1.2.3@sha256:abc', 'registry.example.com/web', '1.2.3'],
    ['other/web:1.2.3', 'registry.example.com/web', null],
    ['other/web:1.2.3', null, '1.2.3'],
  ])('%s in %s → %s', (image, repository, tag) => {
    expect(tagOf(image, repository)).toBe(tag);
  });

  it('judges by a deadline exceeded after the write, not one left from the rollout before', () => {
    const timedOut = deployment(
      { generation: 3, replicas: 1 },
      {
        observedGeneration: 3,
        replicas: 2,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            lastUpdateTime: '2026-12-06T12:00:00Z' as unknown as Date,
          },
        ],
      },
    );
    const before = Date.parse('2026-12-06T12:00:00Z');
    expect(rolloutOf(timedOut, 3).state).toBe('failed');
    expect(rolloutOf(timedOut, 3, before)).toMatchObject({
      state: 'progressing',
      detail: 'web: ready 0 of 1, 1 old pending termination',
    });
    expect(rolloutOf(timedOut, 3, before - 60_000).state).toBe('failed');
  });
});
