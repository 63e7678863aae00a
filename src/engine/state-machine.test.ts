import { describe, expect, it } from 'vitest';
import { ACTIVE_STATES, DEPLOYMENT_STATES, FINAL_STATES } from '../core/deployment.js';
import { canTransition, sourcesOf, TRANSITIONS } from './state-machine.js';

describe('deployment state machine', () => {
  it.each([
    ['requested', 'awaiting_approval'],
    ['requested', 'queued'],
    ['awaiting_approval', 'queued'],
    ['awaiting_approval', 'cancelled'],
    ['queued', 'superseded'],
    ['queued', 'running'],
    ['running', 'verifying'],
    ['running', 'rolling_back'],
    ['verifying', 'succeeded'],
    ['verifying', 'rolling_back'],
    ['rolling_back', 'rolled_back'],
    ['rolling_back', 'failed'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each([
    ['requested', 'running'],
    ['awaiting_approval', 'running'],
    ['queued', 'succeeded'],
    ['running', 'succeeded'],
    ['running', 'queued'],
    ['succeeded', 'rolling_back'],
    ['rolled_back', 'running'],
    ['cancelled', 'queued'],
    ['superseded', 'queued'],
  ] as const)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('has no way out of a final state except a failed one being rolled back', () => {
    for (const state of FINAL_STATES) {
      const exits = TRANSITIONS[state];
      expect(state === 'failed' ? exits : []).toEqual(exits);
    }
  });

  it('reaches every state from requested', () => {
    const seen = new Set<string>(['requested']);
    const frontier = ['requested'] as (keyof typeof TRANSITIONS)[];
    while (frontier.length > 0) {
      const state = frontier.pop();
      if (!state) break;
      for (const next of TRANSITIONS[state]) {
        if (!seen.has(next)) {
          seen.add(next);
          frontier.push(next);
        }
      }
    }
    expect([...seen].sort()).toEqual([...DEPLOYMENT_STATES].sort());
  });

  it('lets an active deployment only end in a final state or another active one', () => {
    for (const state of ACTIVE_STATES) {
      for (const next of TRANSITIONS[state]) {
        expect([...ACTIVE_STATES, ...FINAL_STATES]).toContain(next);
      }
    }
  });

  it('lists the sources of a target state', () => {
    expect(sourcesOf('cancelled').sort()).toEqual(['awaiting_approval', 'queued', 'requested']);
    expect(sourcesOf('running')).toEqual(['queued']);
  });
});
