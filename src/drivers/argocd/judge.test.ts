import { describe, expect, it } from 'vitest';
import { createJudge, describeApp, type Expectation, TAG_INFO } from './judge.js';
import type { Override } from './override.js';
import { Application } from './schema.js';

const override: Override = { kind: 'kustomize', image: 'registry.test/web' };
const source = (v: string) => ({ repoURL: 'r', kustomize: { images: [`registry.test/web:${v}`] } });
const SHA = 'a'.repeat(40);

const deploy: Expectation = {
  phase: 'deploy',
  tag: 'd1/deploy',
  version: '1.1',
  source: null,
  priorOp: '2024-05-01T10:00:00Z',
  settled: false,
};

/** An application after Slipway's sync of 1.1, finished at 10:05:00. */
function app(status: Record<string, unknown> = {}, op: Record<string, unknown> = {}) {
  return Application.parse({
    metadata: { name: 'web' },
    spec: { source: source('1.1') },
    status: {
      sync: { status: 'Synced', revision: SHA, comparedTo: { source: source('1.1') } },
      health: { status: 'Healthy' },
      reconciledAt: '2024-05-01T10:05:01Z',
      history: [{ id: 4, deployStartedAt: '2024-05-01T10:04:00Z', source: source('1.1') }],
      operationState: {
        operation: { info: [{ name: TAG_INFO, value: 'd1/deploy' }] },
        phase: 'Succeeded',
        startedAt: '2024-05-01T10:04:00Z',
        finishedAt: '2024-05-01T10:05:00Z',
        syncResult: { revision: SHA, source: source('1.1') },
        ...op,
      },
      ...status,
    },
  });
}

describe('judge', () => {
  it('succeeds when its sync succeeded and the application is Synced and Healthy', () => {
    expect(createJudge(deploy, override, 1000)(app())).toEqual({
      state: 'succeeded',
      revision: SHA,
      historyId: 4,
      detail: 'Synced at aaaaaaa, Healthy',
    });
  });

  it('waits while an operation runs, telling its own from another', () => {
    const judge = createJudge(deploy, override, 1000);
    expect(judge(app({}, { phase: 'Running', message: 'applying' }))).toEqual({
      state: 'waiting',
      text: 'sync Running (applying); Synced at aaaaaaa, Healthy',
    });
    const other = app({}, { phase: 'Running', operation: {}, startedAt: '2024-05-01T09:00:00Z' });
    expect(judge(other)).toMatchObject({
      text: expect.stringMatching(/^another operation Running/),
    });
  });

  it('recognises an automated sync of its version by the source it synced', () => {
    const auto = app({}, { operation: { initiatedBy: { automated: true } } });
    expect(createJudge(deploy, override, 1000)(auto).state).toBe('succeeded');
    const before = app({}, { operation: {}, startedAt: '2024-05-01T09:59:00Z' });
    expect(createJudge(deploy, override, 1000)(before)).toMatchObject({
      state: 'waiting',
      text: expect.stringMatching(/^waiting for the sync to start/),
    });
  });

  it('does not trust a health assessed before the operation finished', () => {
    const stale = app({ reconciledAt: '2024-05-01T10:04:30Z' });
    expect(createJudge(deploy, override, 1000)(stale)).toEqual({
      state: 'waiting',
      text: 'sync done; waiting for Argo CD to assess health',
    });
  });

  it('believes a Degraded health of the same second only once it lasts', () => {
    let now = 0;
    const judge = createJudge(deploy, override, 1000, () => now);
    const degraded = app({
      reconciledAt: '2024-05-01T10:05:00Z',
      health: { status: 'Degraded', message: 'exceeded its progress deadline' },
    });
    expect(judge(degraded).state).toBe('waiting');
    now = 1500;
    expect(judge(degraded)).toEqual({
      state: 'failed',
      reason:
        'web is Degraded after the sync: Synced at aaaaaaa, Degraded: exceeded its progress deadline',
    });
    // A later assessment is believed at once.
    expect(
      createJudge(deploy, override, 1000, () => 0)(app({ health: { status: 'Missing' } })).state,
    ).toBe('failed');
  });

  it("fails with Argo CD's message when its operation failed", () => {
    expect(
      createJudge(deploy, override, 1000)(app({}, { phase: 'Error', message: 'boom' })),
    ).toEqual({
      state: 'failed',
      reason: 'the sync of web ended in an error: boom',
    });
  });

  it('waits for Synced at the version and the revision the sync resolved', () => {
    const outOfSync = app({
      sync: { status: 'Synced', revision: 'b'.repeat(40), comparedTo: { source: source('1.1') } },
    });
    expect(createJudge(deploy, override, 1000)(outOfSync).state).toBe('waiting');
  });

  it('judges a rollback by the history source its operation carries, without Synced', () => {
    const rollback: Expectation = {
      ...deploy,
      phase: 'rollback',
      tag: 'd1/rollback',
      version: '1.0',
      source: '{"kustomize":{"images":["registry.test/web:1.0"]},"repoURL":"r"}',
    };
    const rolled = app(
      { sync: { status: 'OutOfSync', revision: SHA } },
      {
        operation: { sync: { source: source('1.0') } },
        syncResult: { revision: SHA, source: source('1.0') },
      },
    );
    expect(createJudge(rollback, override, 1000)(rolled)).toMatchObject({ state: 'succeeded' });
  });
});

describe('describeApp', () => {
  it('lists the resources not healthy yet, three at most', () => {
    const resources = ['a', 'b', 'c', 'd'].map((name) => ({
      kind: 'Deployment',
      name,
      health: { status: 'Progressing', message: 'rolling' },
    }));
    expect(describeApp(app({ health: { status: 'Progressing' }, resources }))).toBe(
      'Synced at aaaaaaa, Progressing; not healthy yet: Deployment a (Progressing: rolling), Deployment b (Progressing: rolling), Deployment c (Progressing: rolling) and 1 more',
    );
  });
});
