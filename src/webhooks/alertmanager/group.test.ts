import { describe, expect, it } from 'vitest';
import {
  applyNotification,
  commonLabels,
  firstStart,
  groupIdOf,
  isResolved,
  MAX_KEPT_ALERTS,
} from './group.js';
import type { GroupState, Notification } from './schema.js';
import { alert, notification, resolved } from './test-support/notifications.js';

/** Applies notifications in order, as the store would keep them. */
function replay(notifications: Notification[]): { state: GroupState; episodes: number } {
  let state: GroupState | null = null;
  let episodes = 0;
  for (const n of notifications) {
    const next = applyNotification(state, n);
    if (next.fresh) episodes++;
    state = next.state;
  }
  if (!state) throw new Error('nothing replayed');
  return { state, episodes };
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

const errors = alert({ name: 'HighErrorRate', labels: { instance: 'web-1' } });
const errors2 = alert({ name: 'HighErrorRate', labels: { instance: 'web-2' } });
const latency = alert({ name: 'HighLatency', labels: { instance: 'web-1' } });

describe('applyNotification', () => {
  it('keeps every alert of the group by fingerprint, as later notifications add some', () => {
    const { state, episodes } = replay([
      notification([errors]),
      notification([errors, errors2]),
      notification([errors, errors2, latency]),
    ]);
    expect(episodes).toBe(1);
    expect(state.alerts.map((a) => a.fingerprint)).toEqual(
      [errors, errors2, latency].map((a) => a.fingerprint),
    );
    expect(state.commonLabels).toEqual({ service: 'web', environment: 'staging' });
  });

  it('keeps alerts that were resolved and then left out of later notifications', () => {
    const { state } = replay([
      notification([errors, errors2]),
      notification([errors, resolved(errors2)]),
      notification([errors]),
    ]);
    expect(state.alerts.map((a) => [a.fingerprint, a.status])).toEqual([
      [errors.fingerprint, 'firing'],
      [errors2.fingerprint, 'resolved'],
    ]);
    expect(state.alerts[1]?.endsAt).toBe('2026-03-01T10:20:00Z');
    expect(isResolved(state)).toBe(false);
  });

  it('ends in the same state whatever order notifications arrive in (an HA pair)', () => {
    const sent = [
      notification([errors]),
      notification([errors, errors2]),
      notification([resolved(errors), errors2]),
      notification([resolved(errors2)]),
    ];
    const outcomes = permutations(sent).map((order) => {
      // The first notification to arrive starts the episode; order only changes which.
      const { state } = replay(order);
      return JSON.stringify(state.alerts.map((a) => [a.fingerprint, a.status]).sort());
    });
    expect(new Set(outcomes).size).toBe(1);
    expect(JSON.parse(outcomes[0] as string)).toEqual(
      [
        [errors.fingerprint, 'resolved'],
        [errors2.fingerprint, 'resolved'],
      ].sort(),
    );
  });

  it('does not fire again on a late duplicate of an alert already resolved', () => {
    const { state, episodes } = replay([
      notification([errors]),
      notification([resolved(errors)]),
      notification([errors]),
    ]);
    expect(episodes).toBe(1);
    expect(isResolved(state)).toBe(true);
  });

  it('starts a new episode when a resolved group fires again', () => {
    const again = { ...errors, startsAt: '2026-03-02T08:00:00Z' };
    const { state, episodes } = replay([
      notification([errors]),
      notification([resolved(errors)]),
      notification([again]),
    ]);
    expect(episodes).toBe(2);
    expect(state.alerts).toHaveLength(1);
    expect(state.alerts[0]).toMatchObject({ status: 'firing', startsAt: again.startsAt });
    expect(firstStart(state)).toEqual(new Date('2026-03-02T08:00:00Z'));
  });

  it('keeps at most MAX_KEPT_ALERTS, dropping the oldest resolved ones and counting them', () => {
    const many = Array.from({ length: MAX_KEPT_ALERTS + 5 }, (_, i) =>
      resolved(
        alert({
          fingerprint: `r${i}`,
          startsAt: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString(),
        }),
      ),
    );
    const { state } = replay([notification([errors, ...many])]);
    expect(state.alerts).toHaveLength(MAX_KEPT_ALERTS);
    expect(state.dropped).toBe(6);
    expect(state.alerts[0]?.fingerprint).toBe(errors.fingerprint);
    expect(state.alerts.map((a) => a.fingerprint)).not.toContain('r0');
  });

  it('keeps the automatic rollback outcome within an episode only', () => {
    const first = applyNotification(null, notification([errors])).state;
    const withOutcome = { ...first, autoRollback: { deploymentId: 'd-1', refused: null } };
    const same = applyNotification(withOutcome, notification([errors, errors2]));
    expect(same.state.autoRollback).toEqual({ deploymentId: 'd-1', refused: null });
    const over = applyNotification(same.state, notification([resolved(errors), resolved(errors2)]));
    const again = applyNotification(
      over.state,
      notification([{ ...errors, startsAt: '2026-03-03T00:00:00Z' }]),
    );
    expect(again.fresh).toBe(true);
    expect(again.state.autoRollback).toBeNull();
  });
});

describe('group helpers', () => {
  it('gives a groupKey a short stable id that holds none of its text', () => {
    const id = groupIdOf('{}:{alertname="HighErrorRate", service="web"}');
    expect(id).toMatch(/^ag-[0-9a-f]{24}$/);
    expect(groupIdOf('{}:{alertname="HighErrorRate", service="web"}')).toBe(id);
    expect(groupIdOf('{}:{alertname="HighErrorRate", service="api"}')).not.toBe(id);
  });

  it('finds the labels all alerts share', () => {
    const state = applyNotification(null, notification([errors, latency])).state;
    expect(commonLabels(state.alerts)).toEqual({
      service: 'web',
      environment: 'staging',
      instance: 'web-1',
    });
    expect(commonLabels([])).toEqual({});
  });
});
