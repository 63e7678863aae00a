import { describe, expect, it } from 'vitest';
import { describeIssues, Notification } from './schema.js';

/** A notification as Alertmanager 0.25 sends it (prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
const sent = {
  receiver: 'slipway',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'HighErrorRate', service: 'web', severity: 'page' },
      annotations: { summary: 'Error rate above 5%', value: '7.2%' },
      startsAt: '2026-03-01T10:00:00.123456789+01:00',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=rate%28errors%5B5m%5D%29',
      fingerprint: 'c2a1b3d4e5f60718',
    },
  ],
  groupLabels: { alertname: 'HighErrorRate' },
  commonLabels: { alertname: 'HighErrorRate', service: 'web', severity: 'page' },
  commonAnnotations: { summary: 'Error rate above 5%' },
  externalURL: 'http://alertmanager:9093',
  version: '4',
  groupKey: '{}:{alertname="HighErrorRate"}',
  truncatedAlerts: 0,
  someFutureField: true,
};

describe('Notification', () => {
  it('reads what Alertmanager sends, nanoseconds, offsets and the zero endsAt included', () => {
    const parsed = Notification.parse(sent);
    expect(parsed.alerts[0]).toMatchObject({ fingerprint: 'c2a1b3d4e5f60718', status: 'firing' });
    expect(parsed).not.toHaveProperty('someFutureField');
  });

  it('fills what older senders leave out', () => {
    const { truncatedAlerts: _, commonAnnotations: __, ...older } = sent;
    const bare = {
      ...older,
      alerts: [{ ...sent.alerts[0], annotations: undefined, generatorURL: undefined }],
    };
    const parsed = Notification.parse(bare);
    expect(parsed.truncatedAlerts).toBe(0);
    expect(parsed.alerts[0]).toMatchObject({ annotations: {}, generatorURL: '' });
  });

  it.each([
    ['another version', { ...sent, version: '3' }, /version: version must be "4"/],
    ['no alerts', { ...sent, alerts: [] }, /alerts: /],
    [
      'a number as a label',
      { ...sent, alerts: [{ ...sent.alerts[0], labels: { a: 1 } }] },
      /alerts\.0\.labels\.a/,
    ],
    ['an unknown status', { ...sent, status: 'pending' }, /status/],
    [
      'a start that is no time',
      { ...sent, alerts: [{ ...sent.alerts[0], startsAt: 'soon' }] },
      /startsAt: must be an RFC 3339 time/,
    ],
    [
      'no fingerprint',
      { ...sent, alerts: [{ ...sent.alerts[0], fingerprint: undefined }] },
      /fingerprint/,
    ],
    ['no groupKey', { ...sent, groupKey: '' }, /groupKey/],
  ])('refuses %s, saying where', (_name, body, message) => {
    const result = Notification.safeParse(body);
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toMatch(message);
  });
});
