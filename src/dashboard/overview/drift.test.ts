import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../core/deployment.js';
import { disagreement } from './drift.js';

describe('disagreement', () => {
  const live = { version: '1.4.2' } as Deployment;
  const at = new Date('2026-12-06T09:00:00Z');

  it('names the version the target runs when it is not the recorded one', () => {
    expect(disagreement({ version: '1.4.3', healthy: true, detail: 'ok' }, live, at)?.text).toBe(
      'The target runs 1.4.3; Slipway last deployed 1.4.2 there.',
    );
  });

  it('says an unhealthy target is not healthy, and says nothing when both agree', () => {
    const sick = { version: '1.4.2', healthy: false, detail: '0 of 3 ready' };
    expect(disagreement(sick, live, at)?.text).toBe('Not healthy: 0 of 3 ready');
    expect(disagreement({ version: '1.4.2', healthy: true, detail: 'ok' }, live, at)).toBeNull();
    // A driver that cannot tell the version is not taken to disagree.
    expect(disagreement({ version: null, healthy: true, detail: 'ok' }, live, at)).toBeNull();
  });
});
