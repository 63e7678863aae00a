import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../core/logger.js';
import { readSettings } from '../core/settings.js';
import { announceStart, renderBanner, startSummary } from './banner.js';

const CONFIG = `
environments:
  - { name: staging, order: 0 }
  - { name: production, order: 1, protected: true }
services:
  - name: web
    owners: [U1]
    driver: { driver: command, options: { deploy: ["./deploy.sh", "{version}"] } }
    environments:
      staging: {}
      production: { driver: kubernetes, options: { namespace: web, deployments: [web] } }
  - name: api
    owners: [U1]
    driver: { driver: github-actions, options: { owner: acme, repo: api, workflow: deploy.yml } }
    github: { repository: acme/api }
  - name: worker
    owners: [U1]
    driver: { driver: argocd, options: { application: worker } }
`;

function config(): Config {
  const result = parseConfig(CONFIG);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

/** Every secret an all-on setup holds: none of these may reach the banner or its log line. */
const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-bot-secret-value',
  SLACK_SIGNING_SECRET: 'signing-secret-value',
  SLACK_APP_TOKEN: 'xapp-app-secret-value',
  SLIPWAY_WEBHOOK_SECRET: 'webhook-secret-value',
  GITHUB_WEBHOOK_SECRET: 'github-hook-secret-value',
  GITHUB_TOKEN: 'ghp_github-token-value',
  SLIPWAY_ALERTMANAGER_TOKEN: 'alertmanager-token-value',
  SLIPWAY_API_TOKEN: 'api-token-value',
  ARGOCD_TOKEN: 'argocd-token-value',
  OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer otel-header-value',
  TEAMS_APP_PASSWORD: 'teams-password-value',
  GRAFANA_TOKEN: 'grafana-token-value',
  SLIPWAY_OIDC_CLIENT_SECRET: 'oidc-client-secret-value',
  SLIPWAY_SESSION_SECRET: 'session-secret-value-of-at-least-32-characters',
};
const ALL_ON = {
  ...SECRETS,
  ARGOCD_SERVER: 'https://argocd.example.com',
  TEAMS_APP_ID: '2f0e5c1a-6b7d-4e8f-9a0b-1c2d3e4f5a6b',
  TEAMS_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  SLIPWAY_DATABASE_URL: 'postgres://slipway:db-password-value@db.internal:5432/slipway',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:otel-url-password@otel.example.com:4318',
  SLIPWAY_OIDC_ISSUER: 'https://login.example.com/realms/eng',
  GRAFANA_URL: 'https://grafana.example.com',
  SLIPWAY_OIDC_CLIENT_ID: 'slipway',
  SLIPWAY_PUBLIC_URL: 'https://slipway.example.com',
};

function banner(env: NodeJS.ProcessEnv, tracing: boolean, host = '0.0.0.0') {
  const settings = readSettings(env, '/srv/slipway');
  return startSummary({ settings, config: config(), env, host, port: 3000, tracing });
}

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('start banner', () => {
  it('with nothing set, names the variable that turns each integration on', () => {
    const text = renderBanner(banner({}, false));
    expect(text).toContain(
      'Slipway is serving on http://localhost:3000   (listening on 0.0.0.0:3000)',
    );
    expect(text).toContain('config     /srv/slipway/slipway.yaml');
    expect(text).toContain('database   /srv/slipway/.slipway/slipway.db (SQLite)');
    expect(text).toContain(
      'drivers    argocd (worker) set ARGOCD_SERVER and ARGOCD_TOKEN; command (web); github-actions (api) set GITHUB_TOKEN; kubernetes (web)',
    );
    expect(text).toMatch(
      /Slack +off +set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET \(HTTP\) or SLACK_APP_TOKEN \(Socket Mode\)/,
    );
    expect(text).toMatch(/\/hooks\/build +off +set SLIPWAY_WEBHOOK_SECRET/);
    expect(text).toMatch(/\/hooks\/github +off +set GITHUB_WEBHOOK_SECRET/);
    expect(text).toMatch(/\/hooks\/alertmanager +off +set SLIPWAY_ALERTMANAGER_TOKEN/);
    expect(text).toMatch(/\/api +local +reads from this machine only; set SLIPWAY_API_TOKEN/);
    expect(text).toMatch(/tracing +off +set OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(text).toMatch(/Teams +off +set TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID/);
    expect(text).toMatch(/dashboard +local +read-only, this machine only; set SLIPWAY_OIDC_ISSUER/);
    expect(text).toMatch(/GitHub deployments +off +set GITHUB_TOKEN, or GITHUB_APP_ID/);
    expect(text).toMatch(/Grafana +off +set GRAFANA_URL and GRAFANA_TOKEN/);
    expect(text).toContain('/healthz, /readyz, /metrics');
    expect(text).not.toMatch(/ on {2}/);
  });

  it('with everything set, says each is on and prints no secret value', () => {
    const summary = banner(ALL_ON, true, '::');
    const text = renderBanner(summary);
    expect(summary.features.map((f) => [f.name, f.state])).toEqual([
      ['Slack', 'on'],
      ['Teams', 'on'],
      ['/hooks/build', 'on'],
      ['/hooks/github', 'on'],
      ['/hooks/alertmanager', 'on'],
      ['/api', 'on'],
      ['dashboard', 'on'],
      ['GitHub deployments', 'on'],
      ['Grafana', 'on'],
      ['tracing', 'on'],
    ]);
    expect(text).toContain('http://localhost:3000   (listening on [::]:3000)');
    expect(text).toMatch(/Slack +on +Socket Mode and HTTP at POST \/slack\/events/);
    expect(text).toMatch(/Teams +on +POST \/api\/messages, Bot Framework tokens checked/);
    expect(text).toContain('database   postgres://slipway:***@db.internal:5432/slipway (Postgres)');
    expect(text).toContain('OTLP to https://collector:***@otel.example.com:4318');
    expect(text).toMatch(
      /dashboard +on +at https:\/\/slipway\.example\.com, people sign in with https:\/\/login\.example\.com\/realms\/eng/,
    );
    expect(text).toContain(
      'argocd (worker); command (web); github-actions (api); kubernetes (web)',
    );

    const { lines, stream } = capture();
    announceStart(createLogger({}, stream), summary, { format: 'json', fields: { port: 3000 } });
    const [line] = lines;
    expect(JSON.parse(line ?? '')).toMatchObject({
      msg: 'slipway is serving',
      port: 3000,
      features: { Slack: 'on: Socket Mode and HTTP at POST /slack/events' },
    });
    for (const output of [text, lines.join('')]) {
      for (const value of [...Object.values(SECRETS), 'db-password-value', 'otel-url-password'])
        expect(output).not.toContain(value);
    }
  });

  it('in Socket Mode alone, says so; a local Slack shows where its Web API is', () => {
    const socket = banner({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }, false);
    expect(socket.features[0]).toEqual({ name: 'Slack', state: 'on', detail: 'Socket Mode' });
    const local = banner(
      {
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 's',
        SLACK_API_URL: 'http://127.0.0.1:3001/api/',
      },
      false,
      '127.0.0.1',
    );
    expect(local.url).toBe('http://127.0.0.1:3000');
    expect(local.features[0]?.detail).toBe(
      'HTTP at POST /slack/events, Web API at http://127.0.0.1:3001/api/',
    );
  });

  it('pretty: a log line, then the banner as text', () => {
    const { lines, stream } = capture();
    let written = '';
    announceStart(createLogger({}, stream), banner({}, false), {
      format: 'pretty',
      out: { write: (text: string) => (written += text) },
    });
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ msg: 'slipway is serving' });
    expect(written).toContain('Slipway is serving on http://localhost:3000');
  });
});
