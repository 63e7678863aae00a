import { createPrivateKey } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../../config/schema.js';
import { secretFrom } from '../../core/secrets.js';
import type { IntegrationSettings } from '../../core/settings.js';
import type { EngineListener } from '../../engine/events.js';
import type { Store } from '../../store/types.js';
import { createDeploymentsApi, createOctokit, installationTokenFetcher } from './client.js';
import { createGitHubDeploymentReporter, type Reporter, type ReporterOptions } from './reporter.js';
import { appInstallationTokens, staticToken, type TokenSource } from './tokens.js';

export type { Reporter as GitHubDeploymentReporter } from './reporter.js';
export { GitHubReporting } from './schema.js';

export interface GitHubDeploymentsSetup {
  config: Config;
  integrations: Pick<IntegrationSettings, 'githubToken' | 'githubApiUrl' | 'githubApp'>;
  /** Where GITHUB_TOKEN(_FILE) is read again at each call, so a rotated file is picked up. */
  env: NodeJS.ProcessEnv;
  store: Store;
  events: { on(listener: EngineListener): () => void };
  log: Logger;
  processId: string;
  /** SLIPWAY_PUBLIC_URL: statuses link to the deployment's page on the dashboard. */
  publicUrl?: string | undefined;
  permalink?: (ref: { channel: string; ts: string }) => Promise<string | null>;
  /** The app's Prometheus registry: calls to GitHub and given-up reports are counted there. */
  registry?: Registry;
  options?: GitHubDeploymentsOptions;
}

export interface GitHubDeploymentsOptions extends ReporterOptions {
  /** When an app's installation token is due for renewal (tests move it); default: the clock. */
  tokenClock?: () => number;
}

/**
 * The GitHub Deployments reporter when a service has `github:` and Slipway has credentials for
 * GitHub (a GitHub App's installation, else GITHUB_TOKEN); null otherwise, said once in the log
 * when the config asks for it and no credentials are set.
 */
export function createGitHubDeployments(setup: GitHubDeploymentsSetup): Reporter | null {
  const { config, integrations, log } = setup;
  const repositories = config.services.flatMap((s) => (s.github ? [s.github.repository] : []));
  if (repositories.length === 0) return null;
  const octokit = createOctokit(integrations.githubApiUrl, log);
  const tokens = tokenSource(setup, octokit);
  if (!tokens) {
    log.warn(
      { repositories },
      'services[].github is configured but neither GITHUB_TOKEN nor a GitHub App (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY, GITHUB_APP_INSTALLATION_ID) is set: deployments are not reported to GitHub',
    );
    return null;
  }
  const metrics = setup.registry ? counters(setup.registry) : null;
  const api = createDeploymentsApi({
    baseUrl: integrations.githubApiUrl,
    tokens,
    log,
    ...(metrics ? { onCall: (call, result) => metrics.calls.inc({ call, result }) } : {}),
  });
  return createGitHubDeploymentReporter(
    {
      events: setup.events,
      store: setup.store,
      config,
      api,
      log,
      processId: setup.processId,
      publicUrl: setup.publicUrl,
      ...(setup.permalink ? { permalink: setup.permalink } : {}),
      ...(metrics ? { onGivenUp: () => metrics.givenUp.inc() } : {}),
    },
    setup.options,
  );
}

function tokenSource(setup: GitHubDeploymentsSetup, octokit: ReturnType<typeof createOctokit>) {
  const app = setup.integrations.githubApp;
  if (app) {
    const fetchToken = installationTokenFetcher(octokit, app.installationId);
    return appInstallationTokens(
      {
        appId: app.appId,
        privateKey: createPrivateKey(app.privateKey),
        installationId: app.installationId,
      },
      fetchToken,
      setup.options?.tokenClock,
    );
  }
  if (!setup.integrations.githubToken) return null;
  const fallback = setup.integrations.githubToken;
  return staticToken(() => secretFrom(setup.env, 'GITHUB_TOKEN') ?? fallback) satisfies TokenSource;
}

function counters(registry: Registry) {
  return {
    calls: new Counter({
      name: 'slipway_github_deployment_calls_total',
      help: 'Calls to GitHub’s Deployments API, by call and result: ok, the HTTP status, or unreachable.',
      labelNames: ['call', 'result'],
      registers: [registry],
    }),
    givenUp: new Counter({
      name: 'slipway_github_deployment_reports_given_up_total',
      help: 'Deployments whose report to GitHub was given up: a ref GitHub does not know, a refused token or repository.',
      registers: [registry],
    }),
  };
}
