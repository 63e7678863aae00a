import { describe, expect, it } from 'vitest';
import { deployment } from '../../chat/test-support/deployments.js';
import { Config } from '../../config/schema.js';
import type { DeploymentState } from '../../core/deployment.js';
import { annotationOf, outcomeOf } from './annotation.js';

const config = Config.parse({
  environments: [{ name: 'staging', order: 1 }],
  services: [{ name: 'web', grafana: { dashboardUID: 'web-uid', panelId: 3 } }, { name: 'api' }],
  grafana: { dashboardUID: 'ops' },
});
const startedAt = new Date('2026-03-01T10:00:00.000Z');
const finishedAt = new Date('2026-03-01T10:01:30.000Z');
const ctx = { config, requesterName: 'Alice', publicUrl: 'https://slipway.example.com/' };

describe('annotationOf', () => {
  it('is a point at the start while it runs, on the service’s own dashboard panel', () => {
    expect(annotationOf(deployment({ startedAt }), ctx)).toEqual({
      time: startedAt.getTime(),
      tags: [
        'slipway',
        'service:web',
        'environment:staging',
        'version:1.4.2',
        'deployment:d-1a2b3c',
      ],
      text: [
        'Deploy of web 1.4.2 to staging, asked by Alice (U-ALICE) from chat.',
        'Replacing 1.4.1.',
        '<a href="https://slipway.example.com/deployments/d-1a2b3c">d-1a2b3c in Slipway</a>',
      ].join('\n'),
      dashboardUID: 'web-uid',
      panelId: 3,
    });
  });

  it('ends at the finish with the outcome, and escapes what people typed', () => {
    const d = deployment({
      service: 'api',
      kind: 'rollback',
      version: '1.4.0',
      state: 'cancelled',
      startedAt,
      finishedAt,
      reason: 'bad <script>alert(1)</script> & worse',
      outcome: 'cancelled by <@U-BOB>\nmore detail',
    });
    const a = annotationOf(d, { ...ctx, requesterName: null, publicUrl: undefined });
    expect(a.timeEnd).toBe(finishedAt.getTime());
    expect(a.tags).toEqual([
      'slipway',
      'service:api',
      'environment:staging',
      'version:1.4.0',
      'deployment:d-1a2b3c',
      'rollback',
      'outcome:cancelled',
    ]);
    // The top-level dashboard, and no panel: the panel is web's.
    expect(a.dashboardUID).toBe('ops');
    expect(a.panelId).toBeUndefined();
    expect(a.text.split('\n')).toEqual([
      'Rollback of api to 1.4.0 in staging, asked by U-ALICE from chat.',
      'Replacing 1.4.1.',
      'Reason: bad &lt;script&gt;alert(1)&lt;/script&gt; &amp; worse',
      'Cancelled after 1m30s: cancelled by &lt;@U-BOB&gt;',
      'd-1a2b3c',
    ]);
  });

  it('names each final state by the outcomes Grafana is filtered on', () => {
    const states = ['succeeded', 'failed', 'rolled_back', 'cancelled', 'superseded', 'running'];
    expect(
      states.map((state) => outcomeOf(deployment({ state: state as DeploymentState }))),
    ).toEqual(['succeeded', 'failed', 'rolled_back', 'cancelled', 'cancelled', null]);
    expect(() => annotationOf(deployment({ state: 'queued' }), ctx)).toThrow(/has not started/);
  });
});
