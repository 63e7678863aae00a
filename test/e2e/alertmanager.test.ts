import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { createDrivers } from '../../src/drivers/index.js';
import { createLocalSlack, type LocalSlack, type Message } from '../../src/local-slack/index.js';
import {
  seedLiveInStaging,
  untilCanaryWeight,
  withStagingCanary,
} from '../../src/webhooks/alertmanager/test-support/canary.js';
import { type AlertmanagerProcess, startAlertmanager } from '../support/alertmanager.js';
import { type CanaryDriver, createCanaryDriver } from '../support/canary-driver.js';
import {
  readRuns,
  removeTestDir,
  scenarioConfigInput,
  settingsFor,
  tempDir,
} from '../support/engine-harness.js';
import { CHANNELS, eventually, USERS } from '../support/slack-harness.js';

/**
 * A real Alertmanager (Debian's prometheus-alertmanager) delivering to Slipway, which talks to
 * the local Slack: alerts are posted to Alertmanager's API v2 the way Prometheus posts them, and
 * checked in the channel as people would see them.
 */
const TOKEN = 'e2e-alertmanager-token';
const log = createLogger({ level: 'silent' });

interface World {
  app: App;
  slack: LocalSlack;
  am: AlertmanagerProcess;
  stateDir: string;
  deploy(version: string): Promise<Deployment>;
  close(): Promise<void>;
}

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/**
 * With `canary`, web's releases to staging are canaries on that driver (held at 25%) beside
 * 1.0.0, and `alertmanager` is among web's owners, who may abort them.
 */
async function start(
  options: { autoRollback?: boolean; amToken?: string; canary?: CanaryDriver } = {},
): Promise<World> {
  const dir = tempDir('slipway-am-e2e-');
  const stateDir = join(dir, 'targets');
  const slack = createLocalSlack({
    channels: CHANNELS.map((id) => ({ id, name: id.slice(2).toLowerCase(), members: USERS })),
    users: USERS.map((id) => ({ id, name: id.slice(2).toLowerCase() })),
    signingSecret: 'e2e-signing-secret',
  });
  const { apiUrl } = await slack.start();
  const scenario = scenarioConfigInput(stateDir, { ms: 300 });
  const input = options.canary
    ? withStagingCanary(scenario, options.canary, ['alertmanager'])
    : scenario;
  const config = Config.parse({
    ...input,
    // Automatic rollbacks act as `alertmanager`, which needs the right to roll back like anyone.
    groups: { ...input.groups, devs: [...input.groups.devs, 'alertmanager'] },
    alerts: { recentDeploy: '30m', autoRollback: options.autoRollback ?? false },
  });
  const base = settingsFor(dir);
  const settings = {
    ...base,
    slack: {
      botToken: slack.config.botToken,
      signingSecret: slack.config.signingSecret,
      appToken: undefined,
      apiUrl,
    },
    integrations: { ...base.integrations, alertmanagerToken: TOKEN },
  };
  const drivers = createDrivers({ dataDir: settings.dataDir, env: process.env, log });
  if (options.canary) drivers.set(options.canary.id, options.canary);
  const app = await createApp({ config, settings, log, drivers });
  if (options.canary) await seedLiveInStaging(app, '1.0.0');
  const port = await app.http.listen(0, '127.0.0.1');
  slack.setDelivery({ mode: 'http', requestUrl: `http://127.0.0.1:${port}/slack/events` });
  await app.start();
  const am = await startAlertmanager({
    webhookUrl: `http://127.0.0.1:${port}/hooks/alertmanager`,
    token: options.amToken ?? TOKEN,
    groupBy: ['alertname', 'service'],
    groupWait: '1s',
    groupInterval: '1s',
  });

  return {
    app,
    slack,
    am,
    stateDir,
    async deploy(version) {
      await slack.slashCommand({
        user: 'U-DEV1',
        channel: 'C-WEB',
        text: `web ${version} to staging`,
      });
      const d = await eventually(async () => {
        const [newest] = await app.engine.history({ service: 'web', limit: 1 });
        return newest?.version === version ? newest : null;
      });
      const done = await app.engine.waitFor(d.id, AbortSignal.timeout(30_000), 50);
      expect(done.state).toBe('succeeded');
      return done;
    },
    async close() {
      await am.stop();
      await app.stop();
      await slack.stop();
      await removeTestDir(dir);
    },
  };
}

/** web 1.1.0 asked for in #web, once its canary takes 25% of staging's traffic. */
async function canaryAt25(w: World, driver: CanaryDriver): Promise<Deployment> {
  await w.slack.slashCommand({ user: 'U-DEV1', channel: 'C-WEB', text: 'web 1.1.0 to staging' });
  const d = await eventually(async () => {
    const [newest] = await w.app.engine.history({ service: 'web', limit: 1 });
    return newest?.version === '1.1.0' ? newest : null;
  });
  return untilCanaryWeight(w.app, driver, d.id, 25);
}

/** The alert messages in a channel about `alertname`. */
function alertMessages(w: World, channel: string, alertname: string): Message[] {
  return w.slack
    .history(channel)
    .filter((m) => m.user === w.slack.config.botUserId && m.text.includes(alertname));
}

const hasButton = (m: Message, actionId: string) =>
  JSON.stringify(m.blocks ?? []).includes(`"action_id":"${actionId}"`);
const shown = (m: Message) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;

function webAlert(alertname: string, instance: string, extra: Record<string, string> = {}) {
  return {
    labels: {
      alertname,
      service: 'web',
      environment: 'staging',
      instance,
      severity: 'page',
      ...extra,
    },
    annotations: { summary: `${alertname} on ${instance}`, value: '7.2%' },
    generatorURL: 'http://prometheus.test/graph?g0.expr=errors',
  };
}

describe('Alertmanager → Slipway → Slack', () => {
  it('groups alerts into one message per group, updated in place until resolved', async () => {
    world = await start();
    const w = world;
    const startsAt = new Date().toISOString();
    await w.am.post([
      { ...webAlert('HighErrorRate', 'web-1'), startsAt },
      { ...webAlert('HighErrorRate', 'web-2'), startsAt },
      { ...webAlert('HighLatency', 'web-1'), startsAt },
    ]);
    const [errors] = await eventually(() => {
      const list = alertMessages(w, 'C-WEB', 'HighErrorRate');
      return list.length === 1 && list[0]?.text.includes('Firing') ? list : null;
    });
    const ts = (errors as Message).ts;
    await eventually(() => alertMessages(w, 'C-WEB', 'HighLatency').length === 1);
    expect(shown(errors as Message)).toContain('instance=web-1');
    expect(shown(errors as Message)).toContain('instance=web-2');
    expect(shown(errors as Message)).toContain('HighErrorRate on web-1');
    expect(shown(errors as Message)).toContain(`${w.am.url}/#/silences/new`);

    // A third instance joins the group: the same message, updated.
    await w.am.post([{ ...webAlert('HighErrorRate', 'web-3'), startsAt }]);
    await eventually(() =>
      shown(w.slack.message('C-WEB', ts) as Message).includes('instance=web-3'),
    );

    // Resolved as Prometheus resolves: the same alerts again, ended in the past.
    const endsAt = new Date(Date.now() - 1000).toISOString();
    await w.am.post(
      ['web-1', 'web-2', 'web-3'].map((i) => ({
        ...webAlert('HighErrorRate', i),
        startsAt,
        endsAt,
      })),
    );
    const over = await eventually(() => {
      const m = w.slack.message('C-WEB', ts);
      return m?.text.includes('Resolved: HighErrorRate') ? m : null;
    });
    expect(shown(over)).toContain('3 resolved');
    expect(over.history.length).toBeGreaterThanOrEqual(2);
    // Still one message per group; the other group was left alone.
    expect(alertMessages(w, 'C-WEB', 'HighErrorRate')).toHaveLength(1);
    expect(alertMessages(w, 'C-WEB', 'HighLatency')[0]?.text).toContain('Firing');
  }, 90_000);

  it('offers to roll back a recent deploy; the click rolls it back; resolving updates the message', async () => {
    world = await start();
    const w = world;
    await w.deploy('1.0.0');
    const live = await w.deploy('1.1.0');
    const startsAt = new Date().toISOString();
    await w.am.post([{ ...webAlert('HighErrorRate', 'web-1'), startsAt }]);
    const offer = await eventually(() => {
      const [m] = alertMessages(w, 'C-WEB', 'HighErrorRate');
      return m && hasButton(m, 'rollback') ? m : null;
    });
    expect(shown(offer)).toMatch(
      /web 1\.1\.0\* was deployed to staging by <@U-DEV1> \d+ s before this alert fired/,
    );

    const click = await w.slack.clickButton({
      user: 'U-DEV2',
      channel: 'C-WEB',
      ts: offer.ts,
      actionId: 'rollback',
    });
    expect(click.status).toBe(200);
    const rollback = await eventually(async () => {
      const [r] = await w.app.engine.history({ service: 'web', kind: 'rollback' });
      return r ?? null;
    });
    expect(rollback).toMatchObject({
      requestedBy: 'U-DEV2',
      version: '1.0.0',
      idempotencyKey: `rollback-of:${live.id}`,
    });
    const done = await w.app.engine.waitFor(rollback.id, AbortSignal.timeout(30_000), 50);
    expect(done.state).toBe('succeeded');
    // The deploy program really ran the rollback to 1.0.0.
    expect(
      readRuns(w.stateDir).some(
        (line) => line.includes(`${rollback.id} `) && line.includes(' 1.0.0 '),
      ),
    ).toBe(true);
    const followed = await eventually(() => {
      const m = w.slack.message('C-WEB', offer.ts);
      return m?.text && shown(m).includes('asked to roll it back to 1.0.0: done') ? m : null;
    });
    expect(hasButton(followed, 'rollback')).toBe(false);

    await w.am.post([
      {
        ...webAlert('HighErrorRate', 'web-1'),
        startsAt,
        endsAt: new Date(Date.now() - 1000).toISOString(),
      },
    ]);
    const over = await eventually(() => {
      const m = w.slack.message('C-WEB', offer.ts);
      return m?.text.includes('Resolved: HighErrorRate') ? m : null;
    });
    expect(hasButton(over, 'rollback')).toBe(false);
    expect(alertMessages(w, 'C-WEB', 'HighErrorRate')).toHaveLength(1);
    expect(await w.app.engine.history({ kind: 'rollback' })).toHaveLength(1);
  }, 90_000);

  it('rolls back at once with alerts.autoRollback, and says so in the message', async () => {
    world = await start({ autoRollback: true });
    const w = world;
    await w.deploy('1.0.0');
    const live = await w.deploy('1.1.0');
    await w.am.post([
      { ...webAlert('HighErrorRate', 'web-1'), startsAt: new Date().toISOString() },
    ]);
    const rollback = await eventually(async () => {
      const [r] = await w.app.engine.history({ service: 'web', kind: 'rollback' });
      return r ?? null;
    });
    expect(rollback).toMatchObject({
      requestedBy: 'alertmanager',
      source: 'webhook',
      version: '1.0.0',
      idempotencyKey: `rollback-of:${live.id}`,
    });
    expect(rollback.reason).toContain('HighErrorRate');
    expect((await w.app.engine.waitFor(rollback.id, AbortSignal.timeout(30_000), 50)).state).toBe(
      'succeeded',
    );
    const [message] = await eventually(() => {
      const list = alertMessages(w, 'C-WEB', 'HighErrorRate');
      return list[0] && shown(list[0]).includes('on its own (`alerts.autoRollback`): done')
        ? list
        : null;
    });
    expect(hasButton(message as Message, 'rollback')).toBe(false);
    expect(await w.app.engine.history({ kind: 'rollback' })).toHaveLength(1);
  }, 90_000);

  it('names a canary under way and its weight; Abort canary removes it and the message follows', async () => {
    const driver = createCanaryDriver({ live: '1.0.0' });
    world = await start({ canary: driver });
    const w = world;
    const canary = await canaryAt25(w, driver);
    await w.am.post([
      { ...webAlert('HighErrorRate', 'web-1'), startsAt: new Date().toISOString() },
    ]);
    const offer = await eventually(() => {
      const [m] = alertMessages(w, 'C-WEB', 'HighErrorRate');
      return m && hasButton(m, 'cancel') ? m : null;
    });
    expect(shown(offer)).toContain('*web 1.1.0* is in canary at 25% in staging');
    expect(shown(offer)).toContain('Abort canary');
    expect(hasButton(offer, 'rollback')).toBe(false);

    const click = await w.slack.clickButton({
      user: 'U-DEV1',
      channel: 'C-WEB',
      ts: offer.ts,
      actionId: 'cancel',
    });
    expect(click.status).toBe(200);
    const done = await w.app.engine.waitFor(canary.id, AbortSignal.timeout(30_000), 50);
    expect(done.state).toBe('rolled_back');
    expect(done.outcome).toMatch(/^cancelled by U-DEV1; the canary was removed/);
    expect(driver.calls()).toEqual(['start 1.1.0', 'weight 25', 'abort']);
    expect(driver.target()).toEqual({ live: '1.0.0', canary: null });
    const followed = await eventually(() => {
      const m = w.slack.message('C-WEB', offer.ts);
      return m && shown(m).includes('was aborted: removed, 1.0.0 kept serving') ? m : null;
    });
    expect(hasButton(followed, 'cancel')).toBe(false);
    expect(await w.app.engine.history({ kind: 'rollback' })).toEqual([]);
  }, 90_000);

  it('aborts a canary under way at once with alerts.autoRollback, and says so', async () => {
    const driver = createCanaryDriver({ live: '1.0.0' });
    world = await start({ canary: driver, autoRollback: true });
    const w = world;
    const canary = await canaryAt25(w, driver);
    await w.am.post([
      { ...webAlert('HighErrorRate', 'web-1'), startsAt: new Date().toISOString() },
    ]);
    const done = await w.app.engine.waitFor(canary.id, AbortSignal.timeout(30_000), 50);
    expect(done.state).toBe('rolled_back');
    expect(done.outcome).toMatch(
      /^cancelled by alertmanager: Alertmanager: HighErrorRate firing during the canary of 1\.1\.0/,
    );
    expect(driver.target()).toEqual({ live: '1.0.0', canary: null });
    const [message] = await eventually(() => {
      const list = alertMessages(w, 'C-WEB', 'HighErrorRate');
      return list[0] && shown(list[0]).includes('on its own (`alerts.autoRollback`): removed')
        ? list
        : null;
    });
    expect(shown(message as Message)).toContain('Slipway aborted the canary of *web 1.1.0*');
    expect(hasButton(message as Message, 'cancel')).toBe(false);
  }, 90_000);

  it('refuses an Alertmanager that sends the wrong token, and posts nothing', async () => {
    world = await start({ amToken: 'not-the-token' });
    const w = world;
    await w.am.post([
      { ...webAlert('HighErrorRate', 'web-1'), startsAt: new Date().toISOString() },
    ]);
    // Alertmanager does not retry a 4xx: it logs the refusal and drops the notification.
    await eventually(() => w.am.output().includes('unexpected status code 401'));
    expect(alertMessages(w, 'C-WEB', 'HighErrorRate')).toEqual([]);
  }, 60_000);
});
