import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  removeTestDir,
  requestWeb,
  scenarioConfigInput,
  settingsFor,
  tempDir,
} from '../../../test/support/engine-harness.js';
import { type App, createApp } from '../../app.js';
import { createRecordingChat } from '../../chat/test-support/recording-chat.js';
import { Config } from '../../config/schema.js';
import { createLogger } from '../../core/logger.js';
import { createHttpServer, type HttpServer } from '../../http/server.js';
import { createAlertmanagerWebhook } from './index.js';
import { alert, notification, resolved } from './test-support/notifications.js';

const log = createLogger({ level: 'silent' });
const TOKEN = 'am-token-for-tests';
let app: App | null = null;
let http: HttpServer | null = null;
let dir = '';

afterEach(async () => {
  await http?.close();
  await app?.stop();
  if (dir) await removeTestDir(dir);
  app = null;
  http = null;
});

const LINKS = {
  grafana: 'https://grafana.example.com/d/web-uid/web?from={from}&to={to}&var-env={environment}',
  logs: 'https://loki.example.com/explore?app={service}&version={version}&from={from}&to={to}',
};

describe('an alert message with the config’s links', () => {
  it('links the service’s dashboard and logs over the time the alerts fired, to now, then to their end', async () => {
    dir = tempDir('slipway-alert-links-');
    const input = scenarioConfigInput(join(dir, 'targets'), { ms: 100 });
    const config = Config.parse({
      ...input,
      services: input.services.map((s) => (s.name === 'web' ? { ...s, links: LINKS } : s)),
    });
    app = await createApp({ config, settings: settingsFor(dir), log });
    app.engine.start();
    const chat = createRecordingChat();
    const webhook = createAlertmanagerWebhook({
      token: TOKEN,
      config,
      store: app.store,
      engine: app.engine,
      chat: chat.client,
      log,
    });
    webhook.start();
    http = createHttpServer({ engine: app.engine, store: app.store, log, routes: [webhook.route] });
    const port = await http.listen(0, '127.0.0.1');
    const send = async (body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    };

    // A deploy of web that the alerts then follow: its version goes into the logs link.
    const asked = await requestWeb(app, { version: '1.4.2' });
    const live = await app.engine.waitFor(asked.id, undefined, 50);
    expect(live.state).toBe('succeeded');
    const firedAt = new Date(Date.now() + 1_000);
    const firing = alert({ startsAt: firedAt.toISOString() });
    await send(notification([firing]));
    const message = chat.inChannel('C-WEB')[0];
    if (!message) throw new Error('no alert message in #web');
    const from = firedAt.getTime() - 5 * 60_000;
    expect(chat.latest(message).links).toEqual([
      { label: 'Alertmanager', url: expect.stringContaining('http://alertmanager.test:9093/') },
      { label: 'Silence', url: expect.stringContaining('/#/silences/new') },
      {
        label: 'Grafana',
        url: `https://grafana.example.com/d/web-uid/web?from=${from}&to=now&var-env=staging`,
      },
      {
        label: 'Logs',
        url: `https://loki.example.com/explore?app=web&version=1.4.2&from=${from}&to=now`,
      },
    ]);

    const endsAt = new Date(firedAt.getTime() + 20 * 60_000);
    await send(notification([resolved(firing, endsAt.toISOString())]));
    const to = endsAt.getTime() + 5 * 60_000;
    await webhook.stop();
    expect(
      chat
        .latest(message)
        .links?.slice(2)
        .map((l) => l.url),
    ).toEqual([
      `https://grafana.example.com/d/web-uid/web?from=${from}&to=${to}&var-env=staging`,
      `https://loki.example.com/explore?app=web&version=1.4.2&from=${from}&to=${to}`,
    ]);
  });

  it('leaves out a link whose values the alerts do not give (no deployment, no version)', async () => {
    dir = tempDir('slipway-alert-links-');
    const input = scenarioConfigInput(join(dir, 'targets'));
    const config = Config.parse({ ...input, links: LINKS });
    app = await createApp({ config, settings: settingsFor(dir), log });
    const chat = createRecordingChat();
    const webhook = createAlertmanagerWebhook({
      token: TOKEN,
      config,
      store: app.store,
      engine: app.engine,
      chat: chat.client,
      log,
    });
    webhook.start();
    http = createHttpServer({ engine: app.engine, store: app.store, log, routes: [webhook.route] });
    const port = await http.listen(0, '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${port}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(notification([alert({ labels: { service: 'api' } })])),
    });
    expect(res.status).toBe(200);
    await webhook.stop();
    const message = chat.inChannel('C-API')[0];
    if (!message) throw new Error('no alert message in #api');
    // The top-level templates apply to api; nothing was deployed, so only Grafana's is whole.
    expect(chat.latest(message).links?.map((l) => l.label)).toEqual([
      'Alertmanager',
      'Silence',
      'Grafana',
    ]);
    expect(chat.latest(message).links?.[2]?.url).toBe(
      `https://grafana.example.com/d/web-uid/web?from=${Date.parse('2026-03-01T10:00:00.123Z') - 300_000}&to=now&var-env=staging`,
    );
  });
});
