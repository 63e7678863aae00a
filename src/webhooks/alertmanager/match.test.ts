import { describe, expect, it } from 'vitest';
import { scenarioConfig } from '../../../test/support/engine-harness.js';
import { deployment } from '../../chat/test-support/deployments.js';
import type { Config } from '../../config/schema.js';
import type { Deployment } from '../../core/deployment.js';
import type { DeploymentFilter } from '../../store/types.js';
import { storedAlert } from './group.js';
import { recentDeployment, subjectOf, suspectDeployment } from './match.js';
import { alert } from './test-support/notifications.js';

const base = scenarioConfig('/tmp/unused');
const withAlerts = (alerts: Partial<Config['alerts']>): Config => ({
  ...base,
  alerts: { ...base.alerts, ...alerts },
});
const stored = (labels: Record<string, string>) =>
  storedAlert(alert({ labels: { service: '', environment: '', ...labels } }));

describe('subjectOf', () => {
  it('reads the service from `service`, else `app`, else `job`, preferring a configured one', () => {
    expect(subjectOf(base, [stored({ service: 'web' })]).service?.name).toBe('web');
    expect(subjectOf(base, [stored({ app: 'api' })]).service?.name).toBe('api');
    expect(subjectOf(base, [stored({ job: 'web' })]).service?.name).toBe('web');
    // The scrape job is named after the service while the app label is not.
    expect(subjectOf(base, [stored({ app: 'web-frontend', job: 'web' })]).service?.name).toBe(
      'web',
    );
    const unknown = subjectOf(base, [stored({ service: 'billing' })]);
    expect(unknown).toMatchObject({ service: null, named: ['billing'], channel: null });
  });

  it('goes to the service channel, else alerts.channel, else nowhere', () => {
    expect(subjectOf(base, [stored({ service: 'web' })]).channel).toBe('C-WEB');
    const fallback = withAlerts({ channel: 'C-ALERTS' });
    expect(subjectOf(fallback, [stored({ service: 'billing' })]).channel).toBe('C-ALERTS');
    expect(subjectOf(fallback, [stored({})]).channel).toBe('C-ALERTS');
  });

  it('names no service when the alerts name several, and lists them', () => {
    const subject = subjectOf(base, [stored({ service: 'web' }), stored({ service: 'api' })]);
    expect(subject).toMatchObject({ service: null, named: ['api', 'web'] });
  });

  it('reads the environment from `environment`, else `env`', () => {
    expect(subjectOf(base, [stored({ service: 'web', env: 'production' })]).environment).toBe(
      'production',
    );
    const several = subjectOf(base, [
      stored({ service: 'web', environment: 'staging' }),
      stored({ service: 'web', env: 'perf' }),
    ]);
    expect(several).toMatchObject({ environment: null, environments: ['perf', 'staging'] });
    expect(subjectOf(base, [stored({ service: 'web' })]).environment).toBeNull();
  });
});

describe('recentDeployment', () => {
  const alertsStarted = new Date('2026-03-01T10:00:00Z');
  const minutes = (n: number) => new Date(alertsStarted.getTime() + n * 60_000);

  /** A store whose live deployments are the given ones, by environment. */
  function store(live: Record<string, Deployment>) {
    return {
      lastSucceeded: async (service: string, environment: string) => {
        const d = live[environment];
        return d && d.service === service ? d : null;
      },
    };
  }
  const live = (environment: string, startedMin: number, finishedMin: number, extra = {}) =>
    deployment({
      id: `d-${environment}`,
      environment,
      state: 'succeeded',
      startedAt: minutes(startedMin),
      finishedAt: minutes(finishedMin),
      ...extra,
    });
  const about = (labels: Record<string, string>) => subjectOf(base, [stored(labels)]);
  const find = (deployments: Record<string, Deployment>, labels: Record<string, string>) =>
    recentDeployment({ config: base, store: store(deployments) }, about(labels), alertsStarted);

  it('finds a deploy that went live within alerts.recentDeploy before the alerts started', async () => {
    const staging = { staging: live('staging', -14, -12) };
    expect((await find(staging, { service: 'web', environment: 'staging' }))?.id).toBe('d-staging');
    const old = { staging: live('staging', -40, -31) };
    expect(await find(old, { service: 'web', environment: 'staging' })).toBeNull();
    const shorter = withAlerts({ recentDeploy: '10m' });
    const subject = subjectOf(shorter, [stored({ service: 'web', environment: 'staging' })]);
    expect(
      await recentDeployment({ config: shorter, store: store(staging) }, subject, alertsStarted),
    ).toBeNull();
  });

  it('counts a rolling update that ends after the alerts start, not one that began after', async () => {
    const rolling = { staging: live('staging', -1, 2) };
    expect((await find(rolling, { service: 'web', environment: 'staging' }))?.id).toBe('d-staging');
    const later = { staging: live('staging', 5, 6) };
    expect(await find(later, { service: 'web', environment: 'staging' })).toBeNull();
  });

  it('looks only in the environment the alerts name, or in all when they name none', async () => {
    const both = { staging: live('staging', -20, -19), production: live('production', -6, -5) };
    expect((await find(both, { service: 'web', environment: 'staging' }))?.id).toBe('d-staging');
    expect((await find(both, { service: 'web' }))?.id).toBe('d-production');
    expect(await find(both, { service: 'web', environment: 'prod' })).toBeNull();
    expect(await find(both, { service: 'billing' })).toBeNull();
  });

  it('ties nothing to a live rollback: rolling back a rollback would loop', async () => {
    const rolledBack = { staging: live('staging', -3, -2, { kind: 'rollback' }) };
    expect(await find(rolledBack, { service: 'web', environment: 'staging' })).toBeNull();
  });
});

describe('suspectDeployment', () => {
  const alertsStarted = new Date('2026-03-01T10:00:00Z');
  const minutes = (n: number) => new Date(alertsStarted.getTime() + n * 60_000);
  const released = deployment({
    id: 'd-live',
    state: 'succeeded',
    startedAt: minutes(-14),
    finishedAt: minutes(-12),
  });
  const canary = (extra: Partial<Deployment> = {}, promoting = false) =>
    deployment({
      id: 'd-canary',
      version: '1.5.0',
      state: 'running',
      startedAt: minutes(-3),
      driverRef: { canary: { step: 2, steps: 7, weight: 25, paused: null, promoting } },
      ...extra,
    });

  /** A store holding web's live deployment in staging and the deployments given. */
  function store(deployments: Deployment[]) {
    return {
      lastSucceeded: async (service: string, environment: string) =>
        service === 'web' && environment === 'staging' ? released : null,
      listDeployments: async (filter: DeploymentFilter = {}) =>
        deployments.filter(
          (d) =>
            d.service === filter.service &&
            (!filter.environment || d.environment === filter.environment) &&
            (!filter.states || filter.states.includes(d.state)) &&
            (!filter.kind || d.kind === filter.kind),
        ),
    };
  }
  const find = (deployments: Deployment[], labels: Record<string, string>) =>
    suspectDeployment(
      { config: base, store: store(deployments) },
      subjectOf(base, [stored(labels)]),
      alertsStarted,
    );
  const web = { service: 'web', environment: 'staging' };

  it('ties the alerts to a canary taking traffic as they start, before a release that went live earlier', async () => {
    expect((await find([canary()], web))?.id).toBe('d-canary');
    expect((await find([canary()], { service: 'web' }))?.id).toBe('d-canary');
    expect((await find([], web))?.id).toBe('d-live');
  });

  it('passes over a canary that began after the alerts, is being promoted, or runs elsewhere', async () => {
    expect((await find([canary({ startedAt: minutes(1) })], web))?.id).toBe('d-live');
    expect((await find([canary({}, true)], web))?.id).toBe('d-live');
    expect((await find([canary({ environment: 'production' })], web))?.id).toBe('d-live');
    // A rolling deploy under way is no canary: nothing to abort.
    expect((await find([canary({ driverRef: null })], web))?.id).toBe('d-live');
  });
});
