import type { Notification } from '../schema.js';

type AlertInput = Notification['alerts'][number];

/** One alert as Alertmanager sends it; override what the test is about. */
export function alert(overrides: Partial<AlertInput> & { name?: string } = {}): AlertInput {
  const { name = 'HighErrorRate', labels, ...rest } = overrides;
  const all: Record<string, string> = {
    alertname: name,
    service: 'web',
    environment: 'staging',
    ...labels,
  };
  return {
    status: 'firing',
    labels: all,
    annotations: { summary: `${name} on ${all.service}` },
    startsAt: '2026-03-01T10:00:00.123456789Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.test/graph?g0.expr=up',
    fingerprint: `fp-${name}-${JSON.stringify(all).length}-${all.instance ?? ''}`,
    ...rest,
  };
}

export function resolved(a: AlertInput, endsAt = '2026-03-01T10:20:00Z'): AlertInput {
  return { ...a, status: 'resolved', endsAt };
}

/** A version 4 notification of one group; `status` follows the alerts unless given. */
export function notification(
  alerts: AlertInput[],
  overrides: Partial<Notification> = {},
): Notification {
  const firing = alerts.some((a) => a.status === 'firing');
  return {
    version: '4',
    groupKey: '{}/{service=~".+"}:{alertname="HighErrorRate", service="web"}',
    truncatedAlerts: 0,
    status: firing ? 'firing' : 'resolved',
    receiver: 'slipway',
    groupLabels: { alertname: 'HighErrorRate', service: 'web' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.test:9093',
    alerts,
    ...overrides,
  };
}
