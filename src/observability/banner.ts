import type { Logger } from 'pino';
import { bindingOf } from '../config/lookup.js';
import type { Config } from '../config/schema.js';
import { type LogFormat, redactUrl } from '../core/logger.js';
import type { Settings } from '../core/settings.js';

/**
 * What a server says once it listens: where, on which database and config, and for each
 * integration whether it is on and, when it is off, the one variable that turns it on. Built
 * from settings and config alone, so a newcomer learns what is missing without reading the
 * code. It names variables, never their values: no secret reaches the terminal or the log.
 */
export interface StartFacts {
  settings: Settings;
  config: Config;
  env: NodeJS.ProcessEnv;
  host: string;
  port: number;
  /** Whether startTracing registered the SDK (tracing.ts decides; this only reports it). */
  tracing: boolean;
}

export type FeatureState = 'on' | 'off' | 'local';

export interface Feature {
  name: string;
  state: FeatureState;
  /** On: how it is reached; off: what to set. */
  detail: string;
}

export interface StartSummary {
  url: string;
  listening: string;
  config: string;
  database: string;
  /** Driver id → the services that use it somewhere, with a hint when its credentials are unset. */
  drivers: { id: string; services: string[]; missing?: string }[];
  features: Feature[];
}

const SLACK_API_DEFAULT = 'https://slack.com/api/';

export function startSummary(facts: StartFacts): StartSummary {
  const { settings, host, port } = facts;
  return {
    url: `http://${browsable(host)}:${port}`,
    listening: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    config: settings.configPath,
    database: describeDatabase(settings.databaseUrl),
    drivers: driversInUse(facts),
    features: [
      slackFeature(settings),
      teamsFeature(settings),
      hookFeature(
        '/hooks/build',
        settings.integrations.webhookSecret,
        'SLIPWAY_WEBHOOK_SECRET',
        'builds from CI',
      ),
      hookFeature(
        '/hooks/github',
        settings.integrations.githubWebhookSecret,
        'GITHUB_WEBHOOK_SECRET',
        'workflow runs of the github-actions driver',
      ),
      hookFeature(
        '/hooks/alertmanager',
        settings.integrations.alertmanagerToken,
        'SLIPWAY_ALERTMANAGER_TOKEN',
        'alerts',
      ),
      apiFeature(settings),
      dashboardFeature(settings),
      ...[githubDeploymentsFeature(facts)].filter((f): f is Feature => f !== null),
      grafanaFeature(settings),
      tracingFeature(facts),
    ],
  };
}

/** 0.0.0.0 and :: are where the server listens, not an address to open: localhost is. */
function browsable(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function describeDatabase(url: string): string {
  if (/^postgres(ql)?:/i.test(url)) return `${redactUrl(url)} (Postgres)`;
  const path = url.replace(/^sqlite:(\/\/)?/i, '');
  return `${path} (SQLite)`;
}

function slackFeature(settings: Settings): Feature {
  const slack = settings.slack;
  if (!slack) {
    return {
      name: 'Slack',
      state: 'off',
      detail:
        'set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode); "slipway slack manifest" makes the app',
    };
  }
  const ways = [
    slack.appToken ? 'Socket Mode' : null,
    slack.signingSecret ? 'HTTP at POST /slack/events' : null,
  ].filter(Boolean);
  const api = slack.apiUrl === SLACK_API_DEFAULT ? '' : `, Web API at ${redactUrl(slack.apiUrl)}`;
  return { name: 'Slack', state: 'on', detail: `${ways.join(' and ')}${api}` };
}

function teamsFeature(settings: Settings): Feature {
  const teams = settings.teams;
  if (!teams) {
    return {
      name: 'Teams',
      state: 'off',
      detail:
        'set TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID from your Azure Bot; "slipway teams manifest" makes the app package',
    };
  }
  if (teams.anonymous) {
    return {
      name: 'Teams',
      state: 'on',
      detail: 'POST /api/messages WITHOUT authentication (TEAMS_ANONYMOUS, loopback only)',
    };
  }
  return {
    name: 'Teams',
    state: 'on',
    detail: `POST /api/messages, Bot Framework tokens checked for app ${teams.appId}`,
  };
}

function hookFeature(
  name: string,
  secret: string | undefined,
  variable: string,
  what: string,
): Feature {
  return secret
    ? { name, state: 'on', detail: `${what}, checked with ${variable}` }
    : { name, state: 'off', detail: `set ${variable} to take ${what} (503 until then)` };
}

function apiFeature(settings: Settings): Feature {
  return settings.apiToken
    ? {
        name: '/api',
        state: 'on',
        detail: 'from anywhere with Authorization: Bearer SLIPWAY_API_TOKEN',
      }
    : {
        name: '/api',
        state: 'local',
        detail:
          'reads from this machine only; set SLIPWAY_API_TOKEN to open it to others and to cancel or retry',
      };
}

/** Shown only when some service reports to GitHub: most setups never will. */
function githubDeploymentsFeature({ config, settings }: StartFacts): Feature | null {
  const repositories = config.services.flatMap((s) => (s.github ? [s.github.repository] : []));
  if (repositories.length === 0) return null;
  const { githubApp, githubToken } = settings.integrations;
  const name = 'GitHub deployments';
  if (githubApp) return { name, state: 'on', detail: `as GitHub App ${githubApp.appId}` };
  if (githubToken) return { name, state: 'on', detail: 'with GITHUB_TOKEN' };
  return {
    name,
    state: 'off',
    detail:
      'set GITHUB_TOKEN, or GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID',
  };
}

function grafanaFeature(settings: Settings): Feature {
  const url = settings.integrations.grafanaUrl;
  return url
    ? { name: 'Grafana', state: 'on', detail: `annotations at ${redactUrl(url)}` }
    : {
        name: 'Grafana',
        state: 'off',
        detail: 'set GRAFANA_URL and GRAFANA_TOKEN to annotate deployments',
      };
}

function dashboardFeature(settings: Settings): Feature {
  const dashboard = settings.dashboard;
  if (dashboard?.oidc) {
    return {
      name: 'dashboard',
      state: 'on',
      detail: `at ${dashboard.publicUrl ?? '/'}, people sign in with ${redactUrl(dashboard.oidc.issuer)}`,
    };
  }
  if (dashboard?.devLogin) {
    return {
      name: 'dashboard',
      state: 'local',
      detail: 'this machine; pick who you are at /auth/dev',
    };
  }
  return {
    name: 'dashboard',
    state: 'local',
    detail:
      'read-only, this machine only; set SLIPWAY_OIDC_ISSUER (and its client) to let people sign in and act',
  };
}

function tracingFeature(facts: StartFacts): Feature {
  const { env } = facts;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (facts.tracing) {
    return {
      name: 'tracing',
      state: 'on',
      detail: endpoint ? `OTLP to ${redactUrl(endpoint)}` : 'OTLP',
    };
  }
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true')
    return { name: 'tracing', state: 'off', detail: 'OTEL_SDK_DISABLED=true' };
  return { name: 'tracing', state: 'off', detail: 'set OTEL_EXPORTER_OTLP_ENDPOINT' };
}

/** The credentials a driver reads from the environment when it runs, not at start. */
function missingCredentials(
  id: string,
  settings: Settings,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const { integrations } = settings;
  // A binding may name its own variables (credentialsEnv); the default pair is checked here.
  if (id === 'jenkins' && !env.JENKINS_TOKEN && !env.JENKINS_TOKEN_FILE)
    return 'set JENKINS_USER and JENKINS_TOKEN (or credentialsEnv)';
  if (id === 'github-actions' && !integrations.githubToken) return 'set GITHUB_TOKEN';
  if (id === 'argocd') {
    const unset = [
      integrations.argocdServer ? null : 'ARGOCD_SERVER',
      integrations.argocdToken ? null : 'ARGOCD_TOKEN',
    ].filter(Boolean);
    if (unset.length > 0) return `set ${unset.join(' and ')}`;
  }
  return undefined;
}

function driversInUse({ config, settings, env }: StartFacts): StartSummary['drivers'] {
  const byDriver = new Map<string, Set<string>>();
  for (const service of config.services) {
    for (const environment of config.environments) {
      const binding = bindingOf(service, environment.name);
      if (!binding) continue;
      const services = byDriver.get(binding.driver) ?? new Set<string>();
      services.add(service.name);
      byDriver.set(binding.driver, services);
    }
  }
  return [...byDriver.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, services]) => {
      const missing = missingCredentials(id, settings, env);
      return { id, services: [...services], ...(missing ? { missing } : {}) };
    });
}

/** The banner as text for a terminal. */
export function renderBanner(summary: StartSummary): string {
  const drivers =
    summary.drivers.length === 0
      ? 'none: no service has a driver'
      : summary.drivers
          .map((d) => `${d.id} (${d.services.join(', ')})${d.missing ? ` ${d.missing}` : ''}`)
          .join('; ');
  const width = Math.max(...summary.features.map((f) => f.name.length));
  const features = summary.features.map(
    (f) => `  ${f.name.padEnd(width)}  ${f.state.padEnd(5)}  ${f.detail}`,
  );
  return [
    '',
    `  Slipway is serving on ${summary.url}   (listening on ${summary.listening})`,
    '',
    `  config     ${summary.config}`,
    `  database   ${summary.database}`,
    `  drivers    ${drivers}`,
    '',
    ...features,
    `  ${'always'.padEnd(width)}         /healthz, /readyz, /metrics`,
    '',
    '',
  ].join('\n');
}

/**
 * Says the server is up, once. JSON: one log line carrying the banner as fields, so every line
 * on stdout stays JSON for collectors. Pretty: the log line, then the banner as text.
 */
export function announceStart(
  log: Logger,
  summary: StartSummary,
  options: {
    format: LogFormat;
    fields?: Record<string, unknown>;
    out?: { write(text: string): unknown };
  },
): void {
  const features = Object.fromEntries(
    summary.features.map((f) => [f.name, `${f.state}: ${f.detail}`]),
  );
  if (options.format === 'pretty') {
    log.info({ url: summary.url }, 'slipway is serving');
    (options.out ?? process.stdout).write(renderBanner(summary));
    return;
  }
  log.info(
    {
      ...options.fields,
      url: summary.url,
      config: summary.config,
      database: summary.database,
      drivers: Object.fromEntries(
        summary.drivers.map((d) => [
          d.id,
          d.missing ? `${d.services.join(', ')}; ${d.missing}` : d.services.join(', '),
        ]),
      ),
      features,
    },
    'slipway is serving',
  );
}
