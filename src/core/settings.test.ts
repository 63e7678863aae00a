import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../test/support/certificate.js';
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

  it('gives the last chat updates 10 s at a stop by default; SLIPWAY_SHUTDOWN_CHAT_TIMEOUT takes a duration or seconds', () => {
    expect(readSettings({}).shutdownChatMs).toBe(10_000);
    expect(readSettings({ SLIPWAY_SHUTDOWN_CHAT_TIMEOUT: '3s' }).shutdownChatMs).toBe(3_000);
    expect(readSettings({ SLIPWAY_SHUTDOWN_CHAT_TIMEOUT: '20' }).shutdownChatMs).toBe(20_000);
    expect(readSettings({ SLIPWAY_SHUTDOWN_CHAT_TIMEOUT: '0' }).shutdownChatMs).toBe(0);
    expect(() => readSettings({ SLIPWAY_SHUTDOWN_CHAT_TIMEOUT: 'soon' })).toThrow(
      'SLIPWAY_SHUTDOWN_CHAT_TIMEOUT is "soon": give a duration such as 10s or 0 (seconds when no unit).',
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

  it('annotates in Grafana with GRAFANA_URL and GRAFANA_TOKEN (or its file), and says what is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-settings-'));
    writeFileSync(join(dir, 'grafana'), 'glsa_token\n');
    const s = readSettings({
      GRAFANA_URL: 'https://grafana.example.com/sub/',
      GRAFANA_TOKEN_FILE: join(dir, 'grafana'),
    });
    expect(s.integrations).toMatchObject({
      grafanaUrl: 'https://grafana.example.com/sub',
      grafanaToken: 'glsa_token',
    });
    expect(readSettings({}).integrations.grafanaUrl).toBeUndefined();
    expect(() => readSettings({ GRAFANA_URL: 'https://grafana.example.com' })).toThrow(
      /GRAFANA_TOKEN is not set: create a service account/,
    );
    expect(() => readSettings({ GRAFANA_TOKEN: 'glsa_x' })).toThrow(/set GRAFANA_URL/);
    expect(() => readSettings({ GRAFANA_URL: 'grafana:3000', GRAFANA_TOKEN: 'x' })).toThrow(
      /give the address of Grafana/,
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

describe('Teams settings', () => {
  const appId = '2f0e5c1a-6b7d-4e8f-9a0b-1c2d3e4f5a6b';
  const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47';

  it('are off unless an app id or anonymous local use is given', () => {
    expect(readSettings({}).teams).toBeNull();
    expect(readSettings({ TEAMS_ANONYMOUS: 'true' }).teams).toMatchObject({
      anonymous: true,
      appId: undefined,
    });
  });

  it('with an app id need a password or certificate and the tenant, each from a file too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-teams-'));
    writeFileSync(join(dir, 'password'), 's3cret\n');
    const s = readSettings({
      TEAMS_APP_ID: appId,
      TEAMS_APP_PASSWORD_FILE: join(dir, 'password'),
      TEAMS_TENANT_ID: tenantId,
    });
    expect(s.teams).toMatchObject({ appId, appPassword: 's3cret', tenantId, anonymous: false });
    expect(() => readSettings({ TEAMS_APP_ID: appId, TEAMS_TENANT_ID: tenantId })).toThrow(
      'TEAMS_APP_PASSWORD is not set',
    );
    expect(() => readSettings({ TEAMS_APP_ID: appId, TEAMS_APP_PASSWORD: 'x' })).toThrow(
      'TEAMS_TENANT_ID is not set',
    );
    expect(() => readSettings({ TEAMS_APP_PASSWORD: 'x' })).toThrow('TEAMS_APP_ID is not set');
    expect(() =>
      readSettings({ TEAMS_APP_ID: 'my-bot', TEAMS_APP_PASSWORD: 'x', TEAMS_TENANT_ID: tenantId }),
    ).toThrow('TEAMS_APP_ID is "my-bot"');
  });

  it('never authenticate nobody when an app id is set', () => {
    expect(() =>
      readSettings({
        TEAMS_APP_ID: appId,
        TEAMS_APP_PASSWORD: 'x',
        TEAMS_TENANT_ID: tenantId,
        TEAMS_ANONYMOUS: '1',
      }),
    ).toThrow('TEAMS_ANONYMOUS is set together with TEAMS_APP_ID');
  });

  it('read a certificate with its private key and take its SHA-256 thumbprint', () => {
    const { dir, key, certificate } = selfSignedCertificate('slipway');
    const pem = key + certificate;
    writeFileSync(join(dir, 'both.pem'), pem);
    const expected = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).fingerprint256
      .replaceAll(':', '')
      .toLowerCase();
    const s = readSettings({
      TEAMS_APP_ID: appId,
      TEAMS_APP_CERTIFICATE_FILE: join(dir, 'both.pem'),
      TEAMS_TENANT_ID: tenantId,
    });
    expect(s.teams?.certificate?.thumbprintSha256).toBe(expected);
    expect(s.teams?.certificate?.privateKey).toContain('PRIVATE KEY');
    writeFileSync(join(dir, 'cert-only.pem'), readFileSync(join(dir, 'cert.pem')));
    expect(() =>
      readSettings({
        TEAMS_APP_ID: appId,
        TEAMS_APP_CERTIFICATE_FILE: join(dir, 'cert-only.pem'),
        TEAMS_TENANT_ID: tenantId,
      }),
    ).toThrow('must hold both the private key');
  });

  it('let tests point token keys and logins at a local double, as URLs', () => {
    const s = readSettings({
      TEAMS_ANONYMOUS: '1',
      TEAMS_OPENID_METADATA_URL: 'http://127.0.0.1:4100/v1/.well-known/openidconfiguration',
    });
    expect(s.teams?.openIdMetadataUrl).toBe(
      'http://127.0.0.1:4100/v1/.well-known/openidconfiguration',
    );
    expect(() => readSettings({ TEAMS_ANONYMOUS: '1', TEAMS_LOGIN_URL: 'login' })).toThrow(
      'TEAMS_LOGIN_URL is "login": give an http(s) URL.',
    );
  });
});
