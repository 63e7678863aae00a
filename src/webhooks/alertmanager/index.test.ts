import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CanaryDriver, createCanaryDriver } from '../../../test/support/canary-driver.js';
import {
  requestWeb,
  scenarioConfigInput,
  settingsFor,
  tempDir,
} from '../../../test/support/engine-harness.js';
import { type App, createApp } from '../../app.js';
import { handleInbound } from '../../chat/handler.js';
import { buttonClick } from '../../chat/test-support/events.js';
import { createRecordingChat, type RecordingChat } from '../../chat/test-support/recording-chat.js';
import type { MessageView } from '../../chat/types.js';
import { Config } from '../../config/schema.js';
import type { Deployment } from '../../core/deployment.js';
import { createLogger } from '../../core/logger.js';
import { alertSubject } from '../../core/message-subject.js';
import { createDrivers } from '../../drivers/index.js';
import { createHttpServer } from '../../http/server.js';
import { applyNotification, groupIdOf } from './group.js';
import { type AlertmanagerOptions, createAlertmanagerWebhook } from './index.js';
import { seedLiveInStaging, untilCanaryWeight, withStagingCanary } from './test-support/canary.js';
import { alert, notification, resolved } from './test-support/notifications.js';

const log = createLogger({ level: 'silent' });
const TOKEN = 'am-token-for-tests';
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  app: App;
  config: Config;
  chat: RecordingChat;
  /** A Slipway process's webhook, as a replica would run it (several may share the store). */
  replica(options?: { chat?: RecordingChat | null; token?: string; am?: AlertmanagerOptions }): {
    send(
      body: unknown,
      token?: string | null,
    ): Promise<{ status: number; body: Record<string, unknown> }>;
    stop(): Promise<void>;
  };
  deployed(version: string, environment?: string): Promise<Deployment>;
}

/**
 * The scenario config (web → C-WEB, api → C-API) with the real engine on SQLite. With `canary`,
 * web's releases to staging are canaries on that driver, held at 25% for 10 minutes, beside
 * 1.0.0 live.
 */
async function setup(
  options: {
    alerts?: Partial<Config['alerts']>;
    alertmanagerMayRollBack?: boolean;
    canary?: CanaryDriver;
  } = {},
): Promise<Setup> {
  const dir = tempDir('slipway-alertmanager-');
  const input = scenarioConfigInput(join(dir, 'targets'));
  const config = Config.parse(options.canary ? withStagingCanary(input, options.canary) : input);
  config.alerts = { ...config.alerts, ...options.alerts };
  if (options.alertmanagerMayRollBack) config.groups.devs?.push('alertmanager');
  const drivers = createDrivers({ dataDir: dir, env: {}, log });
  if (options.canary) drivers.set(options.canary.id, options.canary);
  const app = await createApp({ config, settings: settingsFor(dir), log, drivers });
  if (options.canary) await seedLiveInStaging(app, '1.0.0');
  app.engine.start();
  cleanups.push(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const chat = createRecordingChat();

  const replica: Setup['replica'] = (o = {}) => {
    const webhook = createAlertmanagerWebhook(
      {
        token: 'token' in o ? o.token : TOKEN,
        config,
        store: app.store,
        engine: app.engine,
        chat: o.chat === undefined ? chat.client : (o.chat?.client ?? null),
        log,
      },
      o.am,
    );
    webhook.start();
    const http = createHttpServer({
      engine: app.engine,
      store: app.store,
      log,
      routes: [webhook.route],
    });
    const listening = http.listen(0, '127.0.0.1');
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await webhook.stop();
      await http.close();
    };
    cleanups.push(stop);
    return {
      async send(body, token = TOKEN) {
        const port = await listening;
        const res = await fetch(`http://127.0.0.1:${port}/hooks/alertmanager`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      },
      stop,
    };
  };

  async function deployed(version: string, environment = 'staging'): Promise<Deployment> {
    const asked = await requestWeb(app, { environment, version });
    const d = await app.engine.waitFor(asked.id, undefined, 50);
    expect(d.state).toBe('succeeded');
    return d;
  }

  return { app, config, chat, replica, deployed };
}

/** Alerts that start now: after whatever the test deployed. */
const now = () => new Date().toISOString();
const errors = () =>
  alert({ name: 'HighErrorRate', labels: { instance: 'web-1' }, startsAt: now() });
const latest = (chat: RecordingChat, channel: string, i = 0): MessageView => {
  const m = chat.inChannel(channel)[i];
  if (!m) throw new Error(`no message ${i} in ${channel}`);
  return chat.latest(m);
};

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('POST /hooks/alertmanager: refusals', () => {
  it('answers 503 with a sentence while no token is configured', async () => {
    const { replica, chat } = await setup();
    const r = await replica({ token: undefined }).send(notification([errors()]));
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('not_configured');
    expect(r.body.message).toMatch(/set SLIPWAY_ALERTMANAGER_TOKEN/);
    expect(chat.calls).toEqual([]);
  });

  it('refuses a request without the token, or with another, with 401', async () => {
    const { replica, chat, app } = await setup();
    const am = replica();
    expect((await am.send(notification([errors()]), null)).status).toBe(401);
    const wrong = await am.send(notification([errors()]), 'am-token-for-tests-not');
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toMatch(/Authorization: Bearer/);
    expect(chat.calls).toEqual([]);
    expect(await app.store.latestAlertGroup(groupIdOf(notification([]).groupKey))).toBeNull();
  });

  it('refuses what is not a version 4 notification with 400, saying what is wrong', async () => {
    const { replica, chat } = await setup();
    const am = replica();
    const notJson = await am.send('{"version":');
    expect(notJson).toMatchObject({ status: 400, body: { error: 'invalid_payload' } });
    expect(notJson.body.message).toMatch(/the body is not JSON/);
    const v3 = await am.send({ ...notification([errors()]), version: '3' });
    expect(v3.status).toBe(400);
    expect(v3.body.message).toMatch(/version must be "4"/);
    const noAlerts = await am.send(notification([]));
    expect(noAlerts.body.message).toMatch(/alerts/);
    expect(chat.calls).toEqual([]);
  });
});

describe('POST /hooks/alertmanager: one message per group', () => {
  it('posts a group once and updates that message as alerts join, resolve and end', async () => {
    const { replica, chat } = await setup();
    const am = replica();
    const a = errors();
    const b = alert({ name: 'HighErrorRate', labels: { instance: 'web-2' }, startsAt: now() });
    const first = await am.send(notification([a]));
    expect(first).toMatchObject({ status: 200, body: { status: 'posted', channel: 'C-WEB' } });
    expect((await am.send(notification([a, b]))).body.status).toBe('updated');
    await am.send(notification([a, resolved(b, now())]));
    expect(latest(chat, 'C-WEB').fields?.at(-1)?.value).toBe('1 firing, 1 resolved');
    // The last notification carries only what is left; the message still shows both.
    const last = notification([resolved(a, now())]);
    const end = await am.send(last);
    expect(end.body.status).toBe('updated');
    expect(chat.inChannel('C-WEB')).toHaveLength(1);
    expect(chat.callsOf('post')).toHaveLength(1);
    const over = latest(chat, 'C-WEB');
    expect(over).toMatchObject({
      title: 'Resolved: HighErrorRate · web in staging',
      tone: 'success',
    });
    expect(over.fields?.at(-1)?.value).toBe('2 resolved');
    // The same notification again changes nothing people see: no call at all.
    const calls = chat.calls.length;
    expect((await am.send(last)).body.status).toBe('unchanged');
    expect(chat.calls).toHaveLength(calls);

    // Another group is another message; the same group firing anew later is a new one too.
    await am.send(notification([errors()], { groupKey: '{}:{alertname="Other"}' }));
    const again = { ...a, startsAt: new Date(Date.now() + 1000).toISOString() };
    expect((await am.send(notification([again]))).body).toMatchObject({
      status: 'posted',
      episode: 2,
    });
    expect(chat.inChannel('C-WEB')).toHaveLength(3);
  });

  it('gives its messages at most their time at a stop, and logs what was left', async () => {
    const { app, config, chat } = await setup();
    const release = chat.holdNext('post');
    const lines: Record<string, unknown>[] = [];
    const captured = createLogger(
      { level: 'warn' },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    const webhook = createAlertmanagerWebhook({
      token: TOKEN,
      config,
      store: app.store,
      engine: app.engine,
      chat: chat.client,
      log: captured,
    });
    const http = createHttpServer({
      engine: app.engine,
      store: app.store,
      log,
      routes: [webhook.route],
    });
    const port = await http.listen(0, '127.0.0.1');
    cleanups.push(() => http.close());
    // The group's message is posting, as one waiting out Slack's Retry-After does.
    const answered = fetch(`http://127.0.0.1:${port}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(notification([errors()])),
    });
    await eventually(() => chat.callsOf('post').length === 1);
    const stoppedAt = Date.now();
    await webhook.stop({ withinMs: 200 });
    const took = Date.now() - stoppedAt;
    release();
    await (await answered).arrayBuffer();
    expect(took).toBeLessThan(2_000);
    expect(lines.filter((l) => String(l.msg).includes('alert messages left undelivered'))).toEqual([
      expect.objectContaining({ withinMs: 200, messages: 1 }),
    ]);
  });

  it('updates the same message after a restart, and after a post that failed', async () => {
    const { replica, chat } = await setup();
    const a = errors();
    chat.failNext('post', () => new Error('socket hang up'));
    const dying = replica();
    // Alertmanager gets a 5xx and sends the notification again.
    expect((await dying.send(notification([a]))).status).toBe(500);
    expect((await dying.send(notification([a]))).body.status).toBe('posted');
    await dying.stop();
    const restarted = replica();
    const b = alert({ name: 'HighErrorRate', labels: { instance: 'web-9' }, startsAt: now() });
    expect((await restarted.send(notification([a, b]))).body.status).toBe('updated');
    expect(chat.inChannel('C-WEB')).toHaveLength(1);
    expect(latest(chat, 'C-WEB').fields?.at(-1)?.value).toBe('2 firing');
  });

  it('leaves a message to the process posting it, and takes over when that process died', async () => {
    const { replica, chat, app } = await setup();
    const a = errors();
    const n = notification([a]);
    // A process saved the group and reserved its message, then died before posting it.
    const groupId = groupIdOf(n.groupKey);
    const { state } = applyNotification(null, n);
    const base = { groupId, episode: 1, groupKey: n.groupKey, deploymentId: null };
    await app.store.saveAlertGroup({ ...base, state, revision: 0 });
    await app.store.reservePostedMessage({
      subject: alertSubject(groupId, 1),
      purpose: 'main',
      address: 'C-WEB',
      channel: 'C-WEB',
    });
    const patient = replica({ am: { waitForPosterMs: 100, staleClaimMs: 60_000 } });
    expect((await patient.send(n)).status).toBe(503);
    expect(chat.calls).toEqual([]);
    const later = replica({ am: { waitForPosterMs: 100, staleClaimMs: 0 } });
    expect((await later.send(n)).body).toMatchObject({ status: 'posted', episode: 1 });
    expect(chat.inChannel('C-WEB')).toHaveLength(1);
  });

  it('posts one message when two replicas receive the same group at once', async () => {
    const { replica, app } = await setup();
    const slow = createRecordingChat({ delayMs: 100 });
    const [one, two] = [replica({ chat: slow }), replica({ chat: slow })];
    const a = errors();
    const answers = await Promise.all([one.send(notification([a])), two.send(notification([a]))]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(slow.inChannel('C-WEB')).toHaveLength(1);
    const stored = await app.store.listPostedMessages(
      alertSubject(groupIdOf(notification([a]).groupKey), 1),
    );
    expect(stored.map((m) => m.ts)).toEqual([slow.inChannel('C-WEB')[0]?.ts]);
  });

  it('posts alerts of an unknown service to alerts.channel, else records them and answers 202', async () => {
    const billing = () => alert({ labels: { service: 'billing' }, startsAt: now() });
    const quiet = await setup();
    const r = await quiet.replica().send(notification([billing()]));
    expect(r.status).toBe(202);
    expect(r.body.message).toMatch(/alerts.channel is not set/);
    expect(quiet.chat.calls).toEqual([]);

    const fallback = await setup({ alerts: { channel: 'C-ALERTS' } });
    const posted = await fallback.replica().send(notification([billing()]));
    expect(posted.body).toMatchObject({ status: 'posted', channel: 'C-ALERTS' });
    expect(latest(fallback.chat, 'C-ALERTS').title).toBe(
      'Firing: HighErrorRate · billing in staging',
    );
  });

  it('records groups and answers 202 when chat is off', async () => {
    const { replica, app } = await setup();
    const n = notification([errors()]);
    const r = await replica({ chat: null }).send(n);
    expect(r).toMatchObject({ status: 202, body: { status: 'recorded' } });
    expect(r.body.message).toMatch(/Chat is off/);
    const groupId = groupIdOf(n.groupKey);
    expect(await app.store.latestAlertGroup(groupId)).toMatchObject({ episode: 1 });
    expect(await app.store.listPostedMessages(alertSubject(groupId, 1))).toEqual([]);
  });
});

describe('POST /hooks/alertmanager: recent deployments', () => {
  it('ties firing alerts to a recent deploy; the Roll back button rolls it back and the message follows', async () => {
    const { replica, chat, deployed, app, config } = await setup();
    await deployed('1.0.0');
    const d = await deployed('1.1.0');
    const am = replica();
    const r = await am.send(notification([errors()]));
    expect(r.body).toMatchObject({ status: 'posted', deployment: d.id });
    const view = latest(chat, 'C-WEB');
    expect(view.body).toMatch(
      /\*web 1\.1\.0\* was deployed to staging by <@U-DEV1> \d+ s before this alert fired\./,
    );
    expect(view.actions).toEqual([expect.objectContaining({ id: 'rollback', value: d.id })]);
    expect(await app.engine.history({ kind: 'rollback' })).toEqual([]);

    // A click, as the Slack transport hands it over: through the engine, so through policy.
    const message = chat.inChannel('C-WEB')[0];
    await handleInbound(
      {
        kind: 'action',
        actionId: 'rollback',
        value: d.id,
        user: 'U-DEV2',
        channel: 'C-WEB',
        messageTs: message?.ts ?? '',
        responseUrl: null,
        deliveryId: 'click-1',
      },
      { engine: app.engine, chat: chat.client, config, log },
    );
    const [rollback] = await app.engine.history({ kind: 'rollback' });
    expect(rollback).toMatchObject({
      version: '1.0.0',
      requestedBy: 'U-DEV2',
      environment: 'staging',
    });
    expect((await app.engine.waitFor(rollback?.id ?? '', undefined, 50)).state).toBe('succeeded');
    await eventually(() => latest(chat, 'C-WEB').body?.includes(': done (') ?? false);
    const after = latest(chat, 'C-WEB');
    expect(after.body).toContain(
      `<@U-DEV2> asked to roll it back to 1.0.0: done (\`${rollback?.id}\`).`,
    );
    expect(after.actions).toBeUndefined();
  });

  it('ties nothing to an old deploy, another environment, or a first deploy without a button', async () => {
    const { replica, chat, deployed } = await setup({ alerts: { recentDeploy: '30m' } });
    await deployed('1.0.0');
    const am = replica();
    const prod = alert({ labels: { environment: 'production' }, startsAt: now() });
    expect((await am.send(notification([prod]))).body.deployment).toBeNull();
    // 1.0.0 is the first version there: tied, but there is nothing to roll back to.
    const r = await am.send(notification([errors()], { groupKey: 'staging-group' }));
    expect(r.body.deployment).not.toBeNull();
    expect(latest(chat, 'C-WEB', 1).actions).toBeUndefined();
    // Alerts that started long after the deploy are not about it.
    const old = alert({ startsAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await am.send(notification([old], { groupKey: 'later' }))).body.deployment).toBeNull();
  });

  it('rolls back at once with alerts.autoRollback, as alertmanager, naming the alert, once', async () => {
    const { replica, chat, deployed, app } = await setup({
      alerts: { autoRollback: true },
      alertmanagerMayRollBack: true,
    });
    await deployed('1.0.0');
    const d = await deployed('1.1.0');
    const am = replica();
    const a = errors();
    await am.send(notification([a]));
    const [rollback] = await app.engine.history({ kind: 'rollback' });
    expect(rollback).toMatchObject({
      requestedBy: 'alertmanager',
      source: 'webhook',
      version: '1.0.0',
      idempotencyKey: `rollback-of:${d.id}`,
      reason: 'Alertmanager: HighErrorRate firing after 1.1.0 was deployed',
    });
    expect(latest(chat, 'C-WEB').body).toContain('Slipway is rolling it back to 1.0.0 on its own');
    expect(latest(chat, 'C-WEB').actions).toBeUndefined();
    expect((await app.engine.waitFor(rollback?.id ?? '', undefined, 50)).state).toBe('succeeded');
    // Later notifications of the group, and the rollback now live, start nothing more.
    await am.send(notification([a, alert({ labels: { instance: 'web-3' }, startsAt: now() })]));
    expect(await app.engine.history({ kind: 'rollback' })).toHaveLength(1);
    await eventually(() => latest(chat, 'C-WEB').body?.includes(': done (') ?? false);
  });

  it('says why it did not roll back when policy refuses alertmanager, and offers the button', async () => {
    const { replica, chat, deployed, app } = await setup({ alerts: { autoRollback: true } });
    await deployed('1.0.0');
    await deployed('1.1.0');
    await replica().send(notification([errors()]));
    expect(await app.engine.history({ kind: 'rollback' })).toEqual([]);
    const view = latest(chat, 'C-WEB');
    expect(view.body).toMatch(
      /Slipway did not roll it back automatically: alertmanager may not roll back web in staging/,
    );
    expect(view.actions?.[0]?.id).toBe('rollback');
  });
});

describe('POST /hooks/alertmanager: a canary under way', () => {
  /** web 1.1.0 asked for in #web, once its canary takes 25% of staging's traffic. */
  async function canaryAt25(app: App, driver: CanaryDriver): Promise<Deployment> {
    const asked = await requestWeb(app, { version: '1.1.0' });
    return untilCanaryWeight(app, driver, asked.id, 25);
  }

  const click = (s: Setup, user: string, value: string) =>
    handleInbound(
      buttonClick({
        actionId: 'cancel',
        value,
        user,
        channel: 'C-WEB',
        messageTs: s.chat.inChannel('C-WEB')[0]?.ts ?? '',
        deliveryId: `click-${user}`,
      }),
      { engine: s.app.engine, chat: s.chat.client, config: s.config, log },
    );

  it('names the canary and its weight, and Abort canary removes it, for those policy lets', async () => {
    const driver = createCanaryDriver({ live: '1.0.0' });
    const s = await setup({ canary: driver });
    const d = await canaryAt25(s.app, driver);
    const r = await s.replica().send(notification([errors()]));
    expect(r.body).toMatchObject({ status: 'posted', deployment: d.id });
    const view = latest(s.chat, 'C-WEB');
    expect(view.body).toContain(
      `*web 1.1.0* is in canary at 25% in staging, requested by <@U-DEV1> (\`${d.id}\`).`,
    );
    expect(view.body).toContain(
      'If it caused this, abort the canary: its traffic goes back to 1.0.0.',
    );
    expect(view.actions).toEqual([
      expect.objectContaining({ id: 'cancel', label: 'Abort canary', value: d.id }),
    ]);

    // Neither the requester, an owner nor an admin: refused privately, the canary goes on.
    await click(s, 'U-QA2', d.id);
    expect(s.chat.callsOf('postEphemeral').at(-1)).toMatchObject({
      user: 'U-QA2',
      view: { title: expect.stringContaining('may cancel this deployment') },
    });
    expect((await s.app.store.getDeployment(d.id))?.state).toBe('running');

    await click(s, 'U-DEV1', d.id);
    const done = await s.app.engine.waitFor(d.id, undefined, 50);
    expect(done.state).toBe('rolled_back');
    expect(driver.calls()).toEqual(['start 1.1.0', 'weight 25', 'abort']);
    expect(driver.target()).toEqual({ live: '1.0.0', canary: null });
    await eventually(() => latest(s.chat, 'C-WEB').body?.includes('was aborted') ?? false);
    const after = latest(s.chat, 'C-WEB');
    expect(after.body).toContain(
      `The canary of *web 1.1.0* was aborted: removed, 1.0.0 kept serving (\`${d.id}\`).`,
    );
    expect(after.actions).toBeUndefined();
    expect(await s.app.engine.history({ kind: 'rollback' })).toEqual([]);
  });

  it('follows the canary to its promotion, then offers Roll back like any deploy', async () => {
    const driver = createCanaryDriver({ live: '1.0.0' });
    const s = await setup({ canary: driver });
    const d = await canaryAt25(s.app, driver);
    await s.replica().send(notification([errors()]));
    const promoted = await s.app.engine.steer({
      deploymentId: d.id,
      actor: 'U-DEV1',
      channel: 'C-WEB',
      source: 'chat',
      action: 'promote',
    });
    expect(promoted.ok).toBe(true);
    expect((await s.app.engine.waitFor(d.id, undefined, 50)).state).toBe('succeeded');
    await eventually(() => latest(s.chat, 'C-WEB').body?.includes('was deployed') ?? false);
    const view = latest(s.chat, 'C-WEB');
    expect(view.body).toMatch(/^\*web 1\.1\.0\* was deployed to staging by <@U-DEV1>/);
    expect(view.actions).toEqual([expect.objectContaining({ id: 'rollback', value: d.id })]);
  });

  it('aborts the canary at once with alerts.autoRollback, as alertmanager, naming the alert', async () => {
    const driver = createCanaryDriver({ live: '1.0.0' });
    const s = await setup({ canary: driver, alerts: { autoRollback: true } });
    // Cancelling someone's canary takes an owner of the service (or an admin).
    s.config.services.find((service) => service.name === 'web')?.owners.push('alertmanager');
    const d = await canaryAt25(s.app, driver);
    await s.replica().send(notification([errors()]));
    const done = await s.app.engine.waitFor(d.id, undefined, 50);
    expect(done.state).toBe('rolled_back');
    expect(done.outcome).toMatch(
      /^cancelled by alertmanager: Alertmanager: HighErrorRate firing during the canary of 1\.1\.0; the canary was removed/,
    );
    expect(driver.target()).toEqual({ live: '1.0.0', canary: null });
    await eventually(() => latest(s.chat, 'C-WEB').body?.includes('kept serving') ?? false);
    const view = latest(s.chat, 'C-WEB');
    expect(view.body).toContain(
      'Slipway aborted the canary of *web 1.1.0* on its own (`alerts.autoRollback`): removed, 1.0.0 kept serving',
    );
    expect(view.actions).toBeUndefined();
    expect(await s.app.engine.history({ kind: 'rollback' })).toEqual([]);
  });

  it('says why it did not abort when policy refuses alertmanager, and offers the button', async () => {
    const driver = createCanaryDriver({ live: '1.0.0' });
    const s = await setup({ canary: driver, alerts: { autoRollback: true } });
    const d = await canaryAt25(s.app, driver);
    await s.replica().send(notification([errors()]));
    expect((await s.app.store.getDeployment(d.id))?.state).toBe('running');
    const view = latest(s.chat, 'C-WEB');
    expect(view.body).toContain(
      'Slipway did not abort it automatically: Only the requester (U-DEV1), the owners of web',
    );
    expect(view.actions?.[0]).toMatchObject({ id: 'cancel', value: d.id });
  });
});
