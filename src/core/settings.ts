import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { type DashboardSettings, readDashboardSettings } from './dashboard-settings.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import { type GitHubAppSettings, readGitHubAppSettings } from './github-app-settings.js';
import { secretFrom } from './secrets.js';

/**
 * Process settings from the environment (ARCHITECTURE.md, "The external contract"). Secrets
 * live here, never in slipway.yaml. Takes `env` as a parameter so tests pass their own.
 */
export interface Settings {
  port: number;
  configPath: string;
  databaseUrl: string;
  /** Where the embedded database and driver state live by default (`./.slipway`). */
  dataDir: string;
  apiToken: string | undefined;
  logLevel: string | undefined;
  /** SLIPWAY_LOG_FORMAT (`json` or `pretty`); unset: pretty at a terminal, JSON elsewhere. */
  logFormat?: 'json' | 'pretty';
  /**
   * SLIPWAY_SHUTDOWN_DELAY (default 5s): after SIGTERM, how long the server keeps answering with
   * /readyz unready before it stops, so load balancers take it out of rotation first.
   */
  shutdownDelayMs?: number;
  /**
   * SLIPWAY_SHUTDOWN_CHAT_TIMEOUT (default 10s): at a stop, how long the last chat updates (the
   * final states of deployments and alerts) may take, Slack's rate limits included; what is left
   * then is given up and logged. With the default delay it keeps a stop well within
   * Kubernetes' 30 s terminationGracePeriodSeconds.
   */
  shutdownChatMs?: number;
  /**
   * SLIPWAY_DB_WAIT (default 60s): how long start keeps trying a database server that is not
   * reachable yet, e.g. one started alongside Slipway.
   */
  dbWaitMs?: number;
  slack: SlackSettings | null;
  /** Microsoft Teams, when an app id is set or anonymous local use is asked for. */
  teams?: TeamsSettings | null;
  /** Credentials of the webhooks and of the drivers that call other services. */
  integrations: IntegrationSettings;
  /** Sign-in to the dashboard (OpenID Connect) and its session cookies. */
  dashboard?: DashboardSettings;
}

/** Each is read from `NAME` or from the file named by `NAME_FILE`; unset means "not used". */
export interface IntegrationSettings {
  /** SLIPWAY_WEBHOOK_SECRET: HMAC key of `X-Slipway-Signature` on /hooks/build, or its bearer token. */
  webhookSecret: string | undefined;
  /** SLIPWAY_ALERTMANAGER_TOKEN: bearer token Alertmanager sends to /hooks/alertmanager. */
  alertmanagerToken: string | undefined;
  /** GITHUB_TOKEN: for the github-actions driver, and GitHub Deployments without an app. */
  githubToken: string | undefined;
  /** A GitHub App's installation (GITHUB_APP_*): GitHub Deployments are reported as the app. */
  githubApp?: GitHubAppSettings | undefined;
  /** GITHUB_API_URL: GitHub's REST API (GitHub Enterprise: https://host/api/v3). */
  githubApiUrl: string;
  /** GITHUB_WEBHOOK_SECRET: verifies `X-Hub-Signature-256` on /hooks/github. */
  githubWebhookSecret: string | undefined;
  /** ARGOCD_SERVER: https://argocd.example.com */
  argocdServer: string | undefined;
  /** ARGOCD_TOKEN: an Argo CD API token (account or project role). */
  argocdToken: string | undefined;
  /** GRAFANA_URL: where deployments are annotated (https://grafana.example.com); with the token. */
  grafanaUrl?: string | undefined;
  /** GRAFANA_TOKEN: a Grafana service account token that may create and edit annotations. */
  grafanaToken?: string | undefined;
}

/** Slack is on when a bot token is set; it then needs a way to receive (HTTP or Socket Mode). */
export interface SlackSettings {
  botToken: string;
  signingSecret: string | undefined;
  appToken: string | undefined;
  apiUrl: string;
}

/**
 * Teams is on when `TEAMS_APP_ID` is set (the Azure bot's app registration), with a password or a
 * certificate to get tokens for the Bot Connector and the tenant the app lives in; or, for a local
 * client such as Microsoft's Agents Playground, when `TEAMS_ANONYMOUS` is set and no app id is:
 * then nothing that reaches /api/messages is authenticated, which the server allows only while it
 * listens on loopback.
 */
export interface TeamsSettings {
  appId: string | undefined;
  appPassword: string | undefined;
  /** A PEM holding the private key and its certificate (TEAMS_APP_CERTIFICATE_FILE). */
  certificate: { privateKey: string; thumbprintSha256: string; certificate: string } | undefined;
  tenantId: string | undefined;
  anonymous: boolean;
  /**
   * Where Bot Framework publishes its token signing keys (TEAMS_OPENID_METADATA_URL) and where the
   * bot's own tokens come from (TEAMS_LOGIN_URL): Microsoft's by default; a local double in tests.
   */
  openIdMetadataUrl: string | undefined;
  loginUrl: string | undefined;
}

/** Teams for a local client (Microsoft's Agents Playground): no credentials, loopback only. */
export const ANONYMOUS_TEAMS: TeamsSettings = Object.freeze({
  appId: undefined,
  appPassword: undefined,
  certificate: undefined,
  tenantId: undefined,
  anonymous: true,
  openIdMetadataUrl: undefined,
  loginUrl: undefined,
});

export function readSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const dataDir = resolve(cwd, env.SLIPWAY_DATA_DIR ?? '.slipway');
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(
      `PORT is "${env.PORT}": set it to a port number between 1 and 65535, or unset it for 3000.`,
    );
  }
  const databaseUrl = env.SLIPWAY_DATABASE_URL || `sqlite://${resolve(dataDir, 'slipway.db')}`;
  if (!/^(sqlite:|postgres:|postgresql:|\/|\.|:memory:)/.test(databaseUrl)) {
    throw new ConfigError(
      'SLIPWAY_DATABASE_URL must be postgres://user@host/db for Postgres, or sqlite:///path/to/file.db (the default is a SQLite file under ./.slipway/).',
    );
  }
  const delay = env.SLIPWAY_SHUTDOWN_DELAY || '5s';
  const shutdownDelayMs = secondsOrDuration(delay);
  if (shutdownDelayMs === null) {
    throw new ConfigError(
      `SLIPWAY_SHUTDOWN_DELAY is "${delay}": give a duration such as 5s or 0 (seconds when no unit).`,
    );
  }
  const chatTimeout = env.SLIPWAY_SHUTDOWN_CHAT_TIMEOUT || '10s';
  const shutdownChatMs = secondsOrDuration(chatTimeout);
  if (shutdownChatMs === null) {
    throw new ConfigError(
      `SLIPWAY_SHUTDOWN_CHAT_TIMEOUT is "${chatTimeout}": give a duration such as 10s or 0 (seconds when no unit).`,
    );
  }
  const dbWait = env.SLIPWAY_DB_WAIT || '60s';
  const dbWaitMs = secondsOrDuration(dbWait);
  if (dbWaitMs === null) {
    throw new ConfigError(
      `SLIPWAY_DB_WAIT is "${dbWait}": give a duration such as 60s, 2m or 0 (seconds when no unit).`,
    );
  }
  const logFormat = env.SLIPWAY_LOG_FORMAT?.trim().toLowerCase() || undefined;
  if (logFormat !== undefined && logFormat !== 'json' && logFormat !== 'pretty') {
    throw new ConfigError(
      `SLIPWAY_LOG_FORMAT is "${env.SLIPWAY_LOG_FORMAT}": set it to json or pretty, or unset it (pretty at a terminal, JSON elsewhere).`,
    );
  }
  return {
    port,
    configPath: resolve(cwd, env.SLIPWAY_CONFIG || 'slipway.yaml'),
    databaseUrl,
    dataDir,
    apiToken: secretFrom(env, 'SLIPWAY_API_TOKEN'),
    logLevel: env.SLIPWAY_LOG_LEVEL || undefined,
    logFormat,
    shutdownDelayMs,
    shutdownChatMs,
    dbWaitMs,
    slack: readSlackSettings(env),
    teams: readTeamsSettings(env),
    integrations: readIntegrationSettings(env),
    dashboard: readDashboardSettings(env),
  };
}

/** `90s`, `2m`, `0`, or a plain number of seconds; null when it is none of these. */
function secondsOrDuration(text: string): number | null {
  const trimmed = text.trim();
  if (/^0+(ms|s|m)?$/.test(trimmed)) return 0;
  return parseDuration(/^\d+$/.test(trimmed) ? `${trimmed}s` : trimmed);
}

function readIntegrationSettings(env: NodeJS.ProcessEnv): IntegrationSettings {
  const argocdServer = env.ARGOCD_SERVER || undefined;
  if (argocdServer && !/^https?:\/\//.test(argocdServer)) {
    throw new ConfigError(
      `ARGOCD_SERVER is "${argocdServer}": give the URL of the Argo CD API server, e.g. https://argocd.example.com.`,
    );
  }
  return {
    ...readGrafanaSettings(env),
    ...readGitHubAppSettings(env),
    webhookSecret: secretFrom(env, 'SLIPWAY_WEBHOOK_SECRET'),
    alertmanagerToken: secretFrom(env, 'SLIPWAY_ALERTMANAGER_TOKEN'),
    githubToken: secretFrom(env, 'GITHUB_TOKEN'),
    githubApiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    githubWebhookSecret: secretFrom(env, 'GITHUB_WEBHOOK_SECRET'),
    argocdServer: argocdServer?.replace(/\/+$/, ''),
    argocdToken: secretFrom(env, 'ARGOCD_TOKEN'),
  };
}

/** Grafana annotations are on when both the URL and the token are set; one alone is a mistake. */
function readGrafanaSettings(env: NodeJS.ProcessEnv) {
  const grafanaUrl = env.GRAFANA_URL?.trim() || undefined;
  const grafanaToken = secretFrom(env, 'GRAFANA_TOKEN');
  if (grafanaUrl && !/^https?:\/\//.test(grafanaUrl)) {
    throw new ConfigError(
      `GRAFANA_URL is "${grafanaUrl}": give the address of Grafana, e.g. https://grafana.example.com (with its sub-path, if it is served under one).`,
    );
  }
  if (grafanaUrl && !grafanaToken) {
    throw new ConfigError(
      'GRAFANA_TOKEN is not set: create a service account in Grafana (Administration → Users and access → Service accounts) with the Editor role, add a token to it, and set GRAFANA_TOKEN (or GRAFANA_TOKEN_FILE) to it.',
    );
  }
  if (grafanaToken && !grafanaUrl) {
    throw new ConfigError(
      'GRAFANA_TOKEN is set but GRAFANA_URL is not: set GRAFANA_URL to the address of Grafana, e.g. https://grafana.example.com.',
    );
  }
  return grafanaUrl ? { grafanaUrl: grafanaUrl.replace(/\/+$/, ''), grafanaToken } : {};
}

function readSlackSettings(env: NodeJS.ProcessEnv): SlackSettings | null {
  const botToken = secretFrom(env, 'SLACK_BOT_TOKEN');
  const signingSecret = secretFrom(env, 'SLACK_SIGNING_SECRET');
  const appToken = secretFrom(env, 'SLACK_APP_TOKEN');
  if (!botToken) {
    if (signingSecret || appToken) {
      throw new ConfigError(
        "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page.",
      );
    }
    return null;
  }
  if (!signingSecret && !appToken) {
    throw new ConfigError(
      "SLACK_SIGNING_SECRET is not set: copy it from your Slack app's Basic Information page (or set SLACK_APP_TOKEN to use Socket Mode).",
    );
  }
  if (appToken && !appToken.startsWith('xapp-')) {
    throw new ConfigError(
      'SLACK_APP_TOKEN must be an app-level token (xapp-…) with connections:write, from Basic Information → App-Level Tokens.',
    );
  }
  const apiUrl = env.SLACK_API_URL || 'https://slack.com/api/';
  return {
    botToken,
    signingSecret,
    appToken,
    apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readTeamsSettings(env: NodeJS.ProcessEnv): TeamsSettings | null {
  const appId = secretFrom(env, 'TEAMS_APP_ID');
  const appPassword = secretFrom(env, 'TEAMS_APP_PASSWORD');
  const certificatePem = secretFrom(env, 'TEAMS_APP_CERTIFICATE');
  const tenantId = secretFrom(env, 'TEAMS_TENANT_ID');
  const anonymous = /^(1|true|yes)$/i.test(env.TEAMS_ANONYMOUS?.trim() ?? '');
  const urls = {
    openIdMetadataUrl: httpUrl(env, 'TEAMS_OPENID_METADATA_URL'),
    loginUrl: httpUrl(env, 'TEAMS_LOGIN_URL'),
  };
  if (!appId) {
    if (appPassword || certificatePem || tenantId) {
      throw new ConfigError(
        "TEAMS_APP_ID is not set: copy the Microsoft App ID from your Azure Bot's Configuration page (the app registration's Application (client) ID).",
      );
    }
    if (!anonymous) return null;
    return { appId, appPassword, certificate: undefined, tenantId, anonymous, ...urls };
  }
  if (anonymous) {
    throw new ConfigError(
      'TEAMS_ANONYMOUS is set together with TEAMS_APP_ID: unset TEAMS_ANONYMOUS, requests from Teams are then checked against the app id.',
    );
  }
  if (!GUID.test(appId)) {
    throw new ConfigError(
      `TEAMS_APP_ID is "${appId}": give the app registration's Application (client) ID, a GUID such as 00000000-0000-0000-0000-000000000000.`,
    );
  }
  if (!appPassword && !certificatePem) {
    throw new ConfigError(
      "TEAMS_APP_PASSWORD is not set: create a client secret under the app registration's Certificates & secrets (or set TEAMS_APP_CERTIFICATE_FILE to a PEM with its private key and certificate).",
    );
  }
  if (!tenantId) {
    throw new ConfigError(
      "TEAMS_TENANT_ID is not set: copy the Directory (tenant) ID from the app registration's Overview page (single-tenant bots get their tokens from it).",
    );
  }
  return {
    appId,
    appPassword,
    certificate: certificatePem ? readCertificate(certificatePem) : undefined,
    tenantId,
    anonymous: false,
    ...urls,
  };
}

function readCertificate(pem: string): NonNullable<TeamsSettings['certificate']> {
  const key = pem.match(
    /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/,
  );
  const cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
  if (!key || !cert) {
    throw new ConfigError(
      'TEAMS_APP_CERTIFICATE must hold both the private key (BEGIN PRIVATE KEY) and its certificate (BEGIN CERTIFICATE), in PEM: concatenate the two files.',
    );
  }
  let fingerprint: string;
  try {
    fingerprint = new X509Certificate(cert[0]).fingerprint256;
  } catch (err) {
    throw new ConfigError(
      `TEAMS_APP_CERTIFICATE's certificate cannot be read (${(err as Error).message}): give the PEM uploaded to the app registration.`,
    );
  }
  return {
    privateKey: key[0],
    certificate: cert[0],
    thumbprintSha256: fingerprint.replaceAll(':', '').toLowerCase(),
  };
}

function httpUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!/^https?:\/\//.test(value)) {
    throw new ConfigError(`${name} is "${value}": give an http(s) URL.`);
  }
  return value;
}
