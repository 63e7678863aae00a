import { describe, expect, it } from 'vitest';
import type { Deployment, DeploymentState } from '../../core/deployment.js';
import type { CanaryProgress, VerifyProgress } from '../../engine/index.js';
import { actionsFor } from './controls.js';

const deployment = (state: DeploymentState, kind: Deployment['kind'] = 'deploy') =>
  ({ id: 'd-1', state, kind }) as Deployment;
const none = { live: false, canary: null, verify: null };
const canary = (changes: Partial<CanaryProgress> = {}) =>
  ({ step: 1, steps: 4, weight: 5, paused: null, promoting: false, ...changes }) as CanaryProgress;

describe('the actions a deployment page offers', () => {
  it('offers what fits each state, as the chat card does', () => {
    expect(actionsFor(deployment('awaiting_approval'), none)).toEqual([
      'approve',
      'reject',
      'cancel',
    ]);
    expect(actionsFor(deployment('requested'), none)).toEqual(['cancel']);
    expect(actionsFor(deployment('queued'), none)).toEqual(['cancel']);
    expect(actionsFor(deployment('running'), none)).toEqual(['cancel']);
    expect(actionsFor(deployment('verifying'), none)).toEqual(['cancel']);
    expect(actionsFor(deployment('failed'), none)).toEqual(['retry']);
    expect(actionsFor(deployment('rolled_back'), none)).toEqual(['retry']);
    expect(actionsFor(deployment('cancelled'), none)).toEqual([]);
    expect(actionsFor(deployment('superseded'), none)).toEqual([]);
    expect(actionsFor(deployment('rolling_back'), none)).toEqual([]);
  });

  it('offers a rollback only of what is live on its target, with a version to go back to', () => {
    const live = { ...deployment('succeeded'), previousVersion: '1.4.1' };
    expect(actionsFor(live, { ...none, live: true })).toEqual(['rollback']);
    expect(actionsFor(live, none)).toEqual([]);
    expect(actionsFor(deployment('succeeded'), { ...none, live: true })).toEqual([]);
  });

  it('never offers to stop a running rollback halfway (the engine refuses it)', () => {
    expect(actionsFor(deployment('running', 'rollback'), none)).toEqual([]);
    expect(actionsFor(deployment('queued', 'rollback'), none)).toEqual(['cancel']);
  });

  it('steers a canary at a step, and a verification that asks', () => {
    const running = deployment('running');
    expect(actionsFor(running, { ...none, canary: canary() })).toEqual([
      'promote-canary',
      'pause',
      'cancel',
    ]);
    const paused = canary({ paused: { by: 'U-QA1', asked: false, reason: 'paused' } });
    expect(actionsFor(running, { ...none, canary: paused })).toEqual([
      'promote-canary',
      'resume',
      'cancel',
    ]);
    expect(actionsFor(running, { ...none, canary: canary({ promoting: true }) })).toEqual([
      'cancel',
    ]);
    const asked = { asked: 'too little traffic' } as VerifyProgress;
    expect(actionsFor(deployment('verifying'), { ...none, verify: asked })).toEqual([
      'promote-canary',
      'resume',
      'cancel',
    ]);
  });
});
