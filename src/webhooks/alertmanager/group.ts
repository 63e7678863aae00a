import { createHash } from 'node:crypto';
import type { Alert, GroupState, Notification, StoredAlert } from './schema.js';

/**
 * An Alertmanager group as Slipway keeps it: every alert heard of in the current episode, by
 * fingerprint. Each notification carries the alerts of the group at that moment; alerts that were
 * resolved and notified drop out of later ones, so the group is merged, not replaced. The merge
 * is order-independent (an HA pair of Alertmanagers may deliver out of order): for each alert the
 * later episode wins, and within one episode its resolution wins.
 */

/** At most this many alerts are kept per group; the oldest resolved ones go first. */
export const MAX_KEPT_ALERTS = 200;

/** A short, stable id for a groupKey, which can be long and holds label values. */
export function groupIdOf(groupKey: string): string {
  return `ag-${createHash('sha256').update(groupKey).digest('hex').slice(0, 24)}`;
}

export function storedAlert(alert: Alert): StoredAlert {
  return {
    fingerprint: alert.fingerprint,
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt,
    // A firing alert's endsAt is only when it would time out, not news worth keeping.
    endsAt: alert.status === 'resolved' ? (alert.endsAt ?? null) : null,
    generatorURL: alert.generatorURL,
  };
}

/** Whether `incoming` is later news of an alert than `known`. */
export function isNewer(incoming: StoredAlert, known: StoredAlert): boolean {
  const a = Date.parse(incoming.startsAt);
  const b = Date.parse(known.startsAt);
  if (a !== b) return a > b;
  if (incoming.status !== known.status) return incoming.status === 'resolved';
  return true;
}

export function firing(state: Pick<GroupState, 'alerts'>): StoredAlert[] {
  return state.alerts.filter((a) => a.status === 'firing');
}

export function isResolved(state: Pick<GroupState, 'alerts'>): boolean {
  return firing(state).length === 0;
}

/**
 * What a notification makes of the group: the current episode merged with it, or, when the
 * group was resolved and an alert fires again, a fresh episode (which gets a new message).
 */
export function applyNotification(
  current: GroupState | null,
  n: Notification,
): { state: GroupState; fresh: boolean } {
  const incoming = n.alerts.map(storedAlert);
  if (current) {
    const merged = mergeAlerts(current.alerts, incoming);
    if (!firesAgain(current, merged)) {
      return { state: build(n, merged, current.dropped, current.autoRollback), fresh: false };
    }
  }
  return { state: build(n, mergeAlerts([], incoming), 0, null), fresh: true };
}

/**
 * A resolved group fires again when an alert starts after the group's last alert ended; an
 * alert that started before then is late news of the same episode (delivered out of order).
 */
function firesAgain(current: GroupState, merged: readonly StoredAlert[]): boolean {
  if (!isResolved(current)) return false;
  const ended = lastEnd(current)?.getTime() ?? Number.NEGATIVE_INFINITY;
  return merged.some((a) => a.status === 'firing' && Date.parse(a.startsAt) > ended);
}

function mergeAlerts(known: readonly StoredAlert[], incoming: readonly StoredAlert[]) {
  const byFingerprint = new Map(known.map((a) => [a.fingerprint, a]));
  for (const alert of incoming) {
    const seen = byFingerprint.get(alert.fingerprint);
    if (!seen || isNewer(alert, seen)) byFingerprint.set(alert.fingerprint, alert);
  }
  return [...byFingerprint.values()];
}

function build(
  n: Notification,
  alerts: StoredAlert[],
  dropped: number,
  autoRollback: GroupState['autoRollback'],
): GroupState {
  const ordered = [...alerts].sort(byStatusThenStart);
  const kept = ordered.slice(0, MAX_KEPT_ALERTS);
  return {
    receiver: n.receiver,
    externalURL: n.externalURL,
    groupLabels: n.groupLabels,
    commonLabels: commonLabels(kept),
    truncatedAlerts: n.truncatedAlerts,
    alerts: kept,
    dropped: dropped + (ordered.length - kept.length),
    autoRollback,
  };
}

/** Firing first, then by when they started (resolved: newest first), then by fingerprint. */
function byStatusThenStart(a: StoredAlert, b: StoredAlert): number {
  if (a.status !== b.status) return a.status === 'firing' ? -1 : 1;
  const order = Date.parse(a.startsAt) - Date.parse(b.startsAt);
  if (order !== 0) return a.status === 'firing' ? order : -order;
  return a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0;
}

/** The labels every alert of the group shares (Alertmanager's commonLabels, over the merge). */
export function commonLabels(alerts: readonly StoredAlert[]): Record<string, string> {
  const [first, ...rest] = alerts;
  if (!first) return {};
  const common: Record<string, string> = {};
  for (const [name, value] of Object.entries(first.labels)) {
    if (rest.every((a) => a.labels[name] === value)) common[name] = value;
  }
  return common;
}

/** When the episode began: the earliest start among its firing alerts (else among all). */
export function firstStart(state: Pick<GroupState, 'alerts'>): Date | null {
  const pool = firing(state).length > 0 ? firing(state) : state.alerts;
  const times = pool.map((a) => Date.parse(a.startsAt)).filter((t) => !Number.isNaN(t));
  return times.length > 0 ? new Date(Math.min(...times)) : null;
}

/** When the last alert of a resolved group ended. */
export function lastEnd(state: Pick<GroupState, 'alerts'>): Date | null {
  const times = state.alerts
    .map((a) => (a.endsAt ? Date.parse(a.endsAt) : Number.NaN))
    .filter((t) => !Number.isNaN(t));
  return times.length > 0 ? new Date(Math.max(...times)) : null;
}
