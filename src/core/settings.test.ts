import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSettings } from './settings.js';

describe('settings from the environment', () => {
  it('defaults to SQLite under ./.slipway and port 3000, with Slack off', () => {
    const s = readSettings({}, '/srv/app');
    expect(s).toMatchObject({
      port: 3000,
      databaseUrl: 'sqlite:///srv/app/.slipway/slipway.db',
      configPath: '/srv/app/slipway.yaml',
      slack: null,
    });
  });

  it('SLIPWAY_LOG_FORMAT is json or pretty; unset leaves the choice to the terminal', () => {
    expect(readSettings({}).logFormat).toBeUndefined();
    expect(readSettings({ SLIPWAY_LOG_FORMAT: 'Pretty' }).logFormat).toBe('pretty');
    expect(readSettings({ SLIPWAY_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => readSettings({ SLIPWAY_LOG_FORMAT: 'yaml' })).toThrow(
      'SLIPWAY_LOG_FORMAT is "yaml": set it to json or pretty',
    );
  });

  it('waits 60 s for the database by default; SLIPWAY_DB_WAIT takes a duration or seconds', () => {
    expect(readSettings({}).dbWaitMs).toBe(60_000);
    expect(readSettings({ SLIPWAY_DB_WAIT: '2m' }).dbWaitMs).toBe(120_000);
    expect(readSettings({ SLIPWAY_DB_WAIT: '90' }).dbWaitMs).toBe(90_000);
    expect(readSettings({ SLIPWAY_DB_WAIT: '0' }).dbWaitMs).toBe(0);
    expect(() => readSettings({ SLIPWAY_DB_WAIT: 'a while' })).toThrow(
      'SLIPWAY_DB_WAIT is "a while": give a duration such as 60s, 2m or 0 (seconds when no unit).',
    );
  });

  it("reads the integrations' credentials, each from its variable or a file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-settings-'));
    writeFileSync(join(dir, 'argocd'), 'argo-token\n');
    const s = readSettings({
      SLIPWAY_WEBHOOK_SECRET: 'hook',
      GITHUB_TOKEN: 'ghp_x',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
      ARGOCD_SERVER: 'https://argocd.example.com/',
      ARGOCD_TOKEN_FILE: join(dir, 'argocd'),
    });
    expect(s.integrations).toEqual({
      webhookSecret: 'hook',
      alertmanagerToken: undefined,
      githubToken: 'ghp_x',
      githubApiUrl: 'https://ghe.example.com/api/v3',
      githubWebhookSecret: undefined,
      argocdServer: 'https://argocd.example.com',
      argocdToken: 'argo-token',
    });
    expect(() => readSettings({ ARGOCD_SERVER: 'argocd.example.com' })).toThrow(
      /give the URL of the Argo CD API server/,
    );
  });

  it('says how to fix a bad port or database URL', () => {
    expect(() => readSettings({ PORT: 'eighty' })).toThrow(/PORT is "eighty"/);
    expect(() => readSettings({ SLIPWAY_DATABASE_URL: 'mysql://x' })).toThrow(/postgres:\/\//);
  });

  it('turns Slack on with a bot token and a way to receive, and explains what is missing', () => {
    expect(() => readSettings({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(
      /SLACK_SIGNING_SECRET is not set: copy it from your Slack app's Basic Information page/,
    );
    expect(() => readSettings({ SLACK_SIGNING_SECRET: 's' })).toThrow(/SLACK_BOT_TOKEN is not set/);
    expect(() =>
      readSettings({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-wrong' }),
    ).toThrow(/xapp-/);
    const http = readSettings({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      SLACK_API_URL: 'http://127.0.0.1:9/api',
    });
    expect(http.slack).toEqual({
      botToken: 'xoxb-1',
      signingSecret: 's',
      appToken: undefined,
      apiUrl: 'http://127.0.0.1:9/api/',
    });
    expect(
      readSettings({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack?.apiUrl,
    ).toBe('https://slack.com/api/');
  });

  it('reads secrets from files named by *_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-secrets-'));
    writeFileSync(join(dir, 'bot'), 'xoxb-from-file\n');
    writeFileSync(join(dir, 'signing'), 'signing-from-file');
    writeFileSync(join(dir, 'empty'), '');
    const s = readSettings({
      SLACK_BOT_TOKEN_FILE: join(dir, 'bot'),
      SLACK_SIGNING_SECRET_FILE: join(dir, 'signing'),
    });
    expect(s.slack).toMatchObject({
      botToken: 'xoxb-from-file',
      signingSecret: 'signing-from-file',
    });
    expect(() => readSettings({ SLIPWAY_API_TOKEN_FILE: join(dir, 'empty') })).toThrow(/empty/);
    expect(() => readSettings({ SLIPWAY_API_TOKEN_FILE: join(dir, 'missing') })).toThrow(
      /cannot be read/,
    );
  });
});
