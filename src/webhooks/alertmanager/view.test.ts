import { describe, expect, it } from 'vitest';
import { scenarioConfig } from '../../../test/support/engine-harness.js';
import { renderBlocks } from '../../chat/slack/blocks.js';
import { deployment } from '../../chat/test-support/deployments.js';
import { applyNotification } from './group.js';
import { subjectOf } from './match.js';
import type { GroupState } from './schema.js';
import { alert, notification, resolved } from './test-support/notifications.js';
import { ALERT_ACTOR, type AlertViewInput, alertGroupView, roughly } from './view.js';

const config = scenarioConfig('/tmp/unused');
const errors = alert({
  name: 'HighErrorRate',
  labels: { instance: 'web-1', severity: 'page' },
  annotations: { summary: 'Errors above 5%', value: '7.2%' },
});
const errors2 = alert({
  name: 'HighErrorRate',
  labels: { instance: 'web-2', severity: 'page' },
  annotations: { description: 'Errors <!channel> & more' },
});
const latency = alert({ name: 'HighLatency', labels: { instance: 'web-1', severity: 'page' } });
// Went live 12 minutes before the alerts started (10:00:00.123).
const live = deployment({
  state: 'succeeded',
  version: '1.4.2',
  previousVersion: '1.4.1',
  startedAt: new Date('2026-03-01T09:46:00Z'),
  finishedAt: new Date('2026-03-01T09:48:00Z'),
});

function input(state: GroupState, extra: Partial<AlertViewInput> = {}): AlertViewInput {
  return {
    state,
    subject: subjectOf(config, state.alerts),
    deployment: null,
    rollback: null,
    ...extra,
  };
}
const group = (...alerts: Parameters<typeof notification>[0]) =>
  applyNotification(null, notification(alerts)).state;

describe('alertGroupView', () => {
  it('shows the group: what fires, where, with values, labels and links', () => {
    const view = alertGroupView(input(group(errors, errors2, latency)));
    expect(view.title).toBe('Firing: HighErrorRate, HighLatency · web in staging');
    expect(view.tone).toBe('failure');
    const lines = view.body?.split('\n') ?? [];
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      '• 🔥 firing *HighErrorRate* `instance=web-1` — Errors above 5% (value: 7.2%) <http://prometheus.test/graph?g0.expr=up|source>',
    );
    // Whatever people wrote in annotations is escaped: it can never ping the channel.
    expect(lines[1]).toContain('Errors &lt;!channel&gt; &amp; more');
    expect(view.fields).toEqual([
      { label: 'Service', value: 'web' },
      { label: 'Environment', value: 'staging' },
      { label: 'Severity', value: 'page' },
      { label: 'Alerts', value: '3 firing' },
    ]);
    expect(view.links?.map((l) => l.label)).toEqual(['Alertmanager', 'Silence']);
    const silence = new URL(view.links?.[1]?.url.replace('/#/', '/') ?? '');
    expect(silence.searchParams.get('filter')).toBe(
      '{service="web", environment="staging", severity="page"}',
    );
    expect(view.actions).toBeUndefined();
    // Slack accepts it as is.
    expect(renderBlocks(view).blocks.length).toBeGreaterThan(2);
  });

  it('ties the alerts to a recent deployment and offers to roll it back while they fire', () => {
    const view = alertGroupView(input(group(errors), { deployment: live }));
    expect(view.body).toContain(
      '*web 1.4.2* was deployed to staging by <@U-ALICE> 12 min before this alert fired.',
    );
    expect(view.body).toContain('If it caused this, roll back to 1.4.1.');
    expect(view.actions).toEqual([
      expect.objectContaining({ id: 'rollback', value: live.id, style: 'danger' }),
    ]);
  });

  it('says when the deployment was still rolling out as the alert fired', () => {
    const rolling = { ...live, finishedAt: new Date('2026-03-01T10:03:00.123Z') };
    const view = alertGroupView(input(group(errors), { deployment: rolling }));
    expect(view.body).toContain(
      'it was still rolling out when this alert fired (3 min before it finished)',
    );
  });

  it('shows the rollback once asked for, by a person or by Slipway, without the button', () => {
    const byBob = deployment({
      id: 'd-back',
      kind: 'rollback',
      version: '1.4.1',
      state: 'running',
      requestedBy: 'U-BOB',
    });
    const asked = alertGroupView(input(group(errors), { deployment: live, rollback: byBob }));
    expect(asked.body).toContain(
      '<@U-BOB> asked to roll it back to 1.4.1: rolling back (`d-back`).',
    );
    expect(asked.actions).toBeUndefined();
    const auto = alertGroupView(
      input(group(errors), {
        deployment: live,
        rollback: { ...byBob, requestedBy: ALERT_ACTOR, state: 'succeeded' },
      }),
    );
    expect(auto.body).toContain(
      'Slipway is rolling it back to 1.4.1 on its own (`alerts.autoRollback`): done (`d-back`).',
    );
  });

  it('says why Slipway did not roll back on its own, and still offers the button', () => {
    const state = {
      ...group(errors),
      autoRollback: {
        deploymentId: null,
        refused: 'alertmanager may not roll back web in staging',
      },
    };
    const view = alertGroupView(input(state, { deployment: live }));
    expect(view.body).toContain(
      'Slipway did not roll it back automatically: alertmanager may not roll back web in staging',
    );
    expect(view.actions?.[0]?.id).toBe('rollback');
  });

  it('offers no button without a version to go back to', () => {
    const first = { ...live, previousVersion: null };
    const view = alertGroupView(input(group(errors), { deployment: first }));
    expect(view.actions).toBeUndefined();
    expect(view.body).not.toContain('roll back to');
  });

  it('shows a resolved group as resolved, without the button', () => {
    const over = applyNotification(
      group(errors, latency),
      notification([resolved(errors), resolved(latency, '2026-03-01T10:25:00Z')]),
    ).state;
    const view = alertGroupView(input(over, { deployment: live }));
    expect(view.title).toBe('Resolved: HighErrorRate, HighLatency · web in staging');
    expect(view.tone).toBe('success');
    expect(view.actions).toBeUndefined();
    expect(view.fields?.at(-1)).toEqual({ label: 'Alerts', value: '2 resolved' });
    const context = view.context?.join(' ') ?? '';
    expect(context).toContain(`fired <!date^${Date.parse('2026-03-01T10:00:00Z') / 1000}^`);
    expect(context).toContain(`resolved <!date^${Date.parse('2026-03-01T10:25:00Z') / 1000}^`);
  });

  it('shows a partly resolved group as firing, counting both', () => {
    const partly = applyNotification(
      group(errors, errors2),
      notification([errors, resolved(errors2)]),
    ).state;
    const view = alertGroupView(input(partly));
    expect(view.title).toBe('Firing: HighErrorRate · web in staging');
    expect(view.fields?.at(-1)).toEqual({ label: 'Alerts', value: '1 firing, 1 resolved' });
    expect(view.body).toContain('✅ resolved *HighErrorRate*');
  });

  it('shows ten alerts and counts the rest, and what Alertmanager left out', () => {
    const many = Array.from({ length: 14 }, (_, i) =>
      alert({ labels: { instance: `web-${i}` }, fingerprint: `f${i}` }),
    );
    const state = applyNotification(null, notification(many, { truncatedAlerts: 3 })).state;
    const view = alertGroupView(input(state));
    const lines = view.body?.split('\n') ?? [];
    expect(lines.filter((l) => l.startsWith('•'))).toHaveLength(10);
    expect(lines).toContain('…and 4 more alerts (4 firing).');
    expect(lines).toContain('Alertmanager left out 3 more alerts (its `max_alerts`).');
  });

  it('names the services when the group is about several, and leaves out links it cannot trust', () => {
    const mixed = applyNotification(
      null,
      notification(
        [errors, alert({ labels: { service: 'api' }, generatorURL: 'javascript:alert(1)' })],
        {
          externalURL: 'not a url',
        },
      ),
    ).state;
    const view = alertGroupView(input(mixed));
    expect(view.title).toBe('Firing: HighErrorRate · api, web in staging');
    expect(view.links).toBeUndefined();
    expect(view.body).not.toContain('javascript:');
  });
});

describe('alertGroupView of a canary', () => {
  const walking = deployment({
    id: 'd-canary',
    version: '1.4.2',
    previousVersion: '1.4.1',
    environment: 'production',
    state: 'running',
    startedAt: new Date('2026-03-01T09:58:00Z'),
  });
  const at25 = { weight: 25, paused: false, promoting: false };

  it('names the canary and its weight, and offers Abort canary (a cancel of it) while the alerts fire', () => {
    const view = alertGroupView(input(group(errors), { deployment: walking, canary: at25 }));
    expect(view.body).toContain(
      '*web 1.4.2* is in canary at 25% in production, requested by <@U-ALICE> (`d-canary`).',
    );
    expect(view.body).toContain(
      'If it caused this, abort the canary: its traffic goes back to 1.4.1.',
    );
    expect(view.body).not.toContain('was deployed');
    expect(view.actions).toEqual([
      {
        id: 'cancel',
        label: 'Abort canary',
        value: 'd-canary',
        style: 'danger',
        confirm: expect.objectContaining({ title: 'Abort the canary of web 1.4.2?' }),
      },
    ]);
    const paused = alertGroupView(
      input(group(errors), { deployment: walking, canary: { ...at25, paused: true } }),
    );
    expect(paused.body).toContain('is in canary at 25% in production, paused,');
    expect(renderBlocks(view).blocks.length).toBeGreaterThan(2);
  });

  it('says why Slipway did not abort it, and offers no button once the alerts resolve', () => {
    const state = {
      ...group(errors),
      autoRollback: { deploymentId: null, refused: 'Only the owners of web may cancel it' },
    };
    const refused = alertGroupView(input(state, { deployment: walking, canary: at25 }));
    expect(refused.body).toContain(
      'Slipway did not abort it automatically: Only the owners of web may cancel it',
    );
    expect(refused.actions?.[0]?.id).toBe('cancel');
    const over = applyNotification(group(errors), notification([resolved(errors)])).state;
    const calm = alertGroupView(input(over, { deployment: walking, canary: at25 }));
    expect(calm.actions).toBeUndefined();
    expect(calm.body).not.toContain('abort the canary');
  });

  it('shows the abort, by a person or by Slipway, without a button', () => {
    const removing = { ...walking, state: 'rolling_back' as const };
    const asked = alertGroupView(input(group(errors), { deployment: removing, canary: at25 }));
    expect(asked.body).toContain(
      'The canary of *web 1.4.2* was aborted: removing it (`d-canary`).',
    );
    expect(asked.actions).toBeUndefined();
    const state = { ...group(errors), autoRollback: { deploymentId: 'd-canary', refused: null } };
    const removed = { ...walking, state: 'rolled_back' as const, finishedAt: new Date() };
    const auto = alertGroupView(input(state, { deployment: removed, canary: at25 }));
    expect(auto.body).toContain(
      'Slipway aborted the canary of *web 1.4.2* on its own (`alerts.autoRollback`): removed, 1.4.1 kept serving (`d-canary`).',
    );
    expect(auto.actions).toBeUndefined();
  });

  it('says it is being promoted, and once live offers Roll back like any deploy', () => {
    const promoting = { ...at25, weight: 100, promoting: true };
    const during = alertGroupView(input(group(errors), { deployment: walking, canary: promoting }));
    expect(during.body).toContain(
      '*web 1.4.2* passed its canary and is being promoted to all of production (`d-canary`).',
    );
    expect(during.actions).toBeUndefined();
    const promoted = { ...walking, state: 'succeeded' as const, finishedAt: live.finishedAt };
    const after = alertGroupView(input(group(errors), { deployment: promoted, canary: promoting }));
    expect(after.body).toContain('*web 1.4.2* was deployed to production by <@U-ALICE>');
    expect(after.actions?.[0]).toMatchObject({ id: 'rollback', value: 'd-canary' });
  });
});

describe('roughly', () => {
  it.each([
    [40_000, '40 s'],
    [12 * 60_000 + 20_000, '12 min'],
    [65 * 60_000, '1 h 5 min'],
    [120 * 60_000, '2 h'],
  ])('says %i ms as %s', (ms, text) => expect(roughly(ms)).toBe(text));
});
