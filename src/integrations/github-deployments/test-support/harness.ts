import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { z } from 'zod';
import {
  commandBinding,
  removeTestDir,
  settingsFor,
  tempDir,
  waitFinal,
} from '../../../../test/support/engine-harness.js';
import {
  type DoubleApp,
  type DoubleOptions,
  type GitHubDouble,
  startGitHubDouble,
} from '../../../../test/support/github-double.js';
import { type App, createApp } from '../../../app.js';
import { Config } from '../../../config/schema.js';
import type { Deployment } from '../../../core/deployment.js';
import { createLogger } from '../../../core/logger.js';
import type { Settings } from '../../../core/settings.js';
import { createDrivers } from '../../../drivers/index.js';
import type { DeployDriver } from '../../../drivers/types.js';
import type { DeployRequest } from '../../../engine/requests.js';
import { sha256Signature } from '../../../http/credentials.js';
import type { GitHubDeploymentsOptions } from '../index.js';

export const TOKEN = 'ghp_slipway_reporter_0123456789';
export const PUBLIC_URL = 'https://slipway.example.com';
const HOOK_SECRET = 'hook-secret-for-builds';
/** Versions the double's repository has as tags: a deployment of another version has no ref. */
export const TAGS = ['1.4.1', '1.4.2', '1.4.3', '1.4.3-bad', '1.5.0', '2.0.0'];
/** A commit of the double's repository that CI reports builds of. */
export const COMMIT = '3f2a9c1'.padEnd(40, '7');

/**
 * web deploys with the command driver (real child processes, test/fixtures/fake-deploy.mjs) to
 * a preview per branch (transient on GitHub, torn down when its review is closed), to staging
 * and to production (protected), and is reported to acme/web on the GitHub double.
 */
export function reporterConfig(stateDir: string) {
  const binding = commandBinding(stateDir, 60);
  return Config.parse({
    operator: 'operator',
    admins: ['U-SRE'],
    environments: [
      { name: 'preview', order: 0 },
      { name: 'staging', order: 1 },
      { name: 'production', order: 2, protected: true, deployers: ['service:owners'] },
    ],
    services: [
      {
        name: 'web',
        owners: ['U-DEV1'],
        qa: ['U-QA1'],
        driver: binding,
        environments: {
          preview: {
            driver: 'command',
            options: {
              deploy: binding.options.deploy,
              url: 'https://{refSlug}.preview.test',
              teardown: [process.execPath, '-e', ''],
              timeout: '1m',
            },
          },
          staging: {},
          production: {},
        },
        github: {
          repository: 'acme/web',
          environments: {
            preview: { transient: true },
            staging: { url: 'https://staging.example.com' },
            production: { name: 'Production' },
          },
        },
      },
      // Not reported: no github.
      { name: 'api', owners: ['U-DEV1'], driver: binding, environments: { staging: {} } },
      // Its driver cannot reach its target: every deploy errs.
      {
        name: 'worker',
        owners: ['U-DEV1'],
        driver: { driver: 'broken' },
        environments: { staging: {} },
        github: { repository: 'acme/web' },
      },
    ],
    // Builds of main go to staging by themselves (/hooks/build).
    autoDeploy: [{ service: 'web', type: 'branch', pattern: 'main', environment: 'staging' }],
    engine: { lease: '2s', pollInterval: '50ms' },
  });
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface HarnessOptions {
  /** Credentials: GITHUB_TOKEN (default), or a GitHub App the double knows. */
  app?: DoubleApp & { privateKey: KeyObject };
  double?: Partial<DoubleOptions>;
  reporter?: GitHubDeploymentsOptions;
  /** Without SLIPWAY_PUBLIC_URL there is no log_url (no chat either). */
  publicUrl?: string | null;
  /** Only the reporter is started: requests wait in the queue until `start()`. */
  deferStart?: boolean;
}

export interface ReporterHarness {
  gh: GitHubDouble;
  app: App;
  dir: string;
  logs: LogLine[];
  /** Asks for a deploy of web (U-DEV1 by the API), as `changes` say. */
  request(changes?: Partial<DeployRequest>): Promise<Deployment>;
  /** Reports a build to /hooks/build, signed; returns the deployments it placed. */
  build(fields: Record<string, unknown>): Promise<string[]>;
  /** Waits for the deployment to end and for its report to reach GitHub. */
  settle(id: string): Promise<Deployment>;
  /** Stops the app and starts another on the same database and double (a restart). */
  restart(): Promise<void>;
  /** Starts the app (its engine) when it was deferred. */
  start(): Promise<void>;
  /** Another replica on the same database and double, started. */
  replica(): Promise<App>;
  close(): Promise<void>;
}

export async function startReporterHarness(options: HarnessOptions = {}): Promise<ReporterHarness> {
  const dir = tempDir('slipway-github-');
  const stateDir = join(dir, 'targets');
  const config = reporterConfig(stateDir);
  const gh = await startGitHubDouble({
    owner: 'acme',
    repo: 'web',
    token: TOKEN,
    tags: TAGS,
    commits: [COMMIT],
    ...(options.app ? { app: options.app } : {}),
    ...options.double,
  });
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const base = settingsFor(dir);
  const settings: Settings = {
    ...base,
    integrations: {
      ...base.integrations,
      githubApiUrl: gh.url,
      githubToken: options.app ? undefined : TOKEN,
      webhookSecret: HOOK_SECRET,
      ...(options.app
        ? {
            githubApp: {
              appId: String(options.app.id),
              privateKey: options.app.privateKey
                .export({ type: 'pkcs1', format: 'pem' })
                .toString(),
              installationId: String(options.app.installationId),
            },
          }
        : {}),
    },
    dashboard: {
      publicUrl: options.publicUrl === null ? undefined : (options.publicUrl ?? PUBLIC_URL),
      oidc: null,
      sessionSecrets: [],
      sessionLifetimeMs: 3_600_000,
    },
  };
  const reporter: GitHubDeploymentsOptions = {
    retryBaseMs: 30,
    retryMaxMs: 200,
    busyRetryMs: 30,
    ...options.reporter,
  };
  async function open(deferred = false): Promise<App> {
    const app = await createApp({
      config,
      drivers,
      settings,
      // GITHUB_TOKEN is read again per call from here; the settings hold the one at start.
      env: options.app ? {} : { GITHUB_TOKEN: TOKEN },
      log: createLogger({ level: 'info' }, sink),
      githubDeployments: reporter,
    });
    if (deferred) await app.githubDeployments?.start();
    else await app.start();
    return app;
  }
  const drivers = createDrivers({ dataDir: dir, env: {}, log: createLogger({ level: 'silent' }) });
  drivers.set('broken', brokenDriver);
  const replicas: App[] = [];
  let app = await open(options.deferStart);
  return {
    gh,
    get app() {
      return app;
    },
    dir,
    logs,
    async request(changes = {}) {
      const r = await app.engine.request({
        actor: 'U-DEV1',
        source: 'api',
        channel: null,
        kind: 'deploy',
        service: 'web',
        environment: 'staging',
        version: '1.4.2',
        ...changes,
      });
      if (!r.ok) throw new Error(r.reason);
      return r.deployment;
    },
    async build(fields) {
      const port = await app.http.listen(0, '127.0.0.1');
      const body = JSON.stringify({ timestamp: Math.floor(Date.now() / 1000), ...fields });
      const res = await fetch(`http://127.0.0.1:${port}/hooks/build`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-slipway-signature': sha256Signature(HOOK_SECRET, body),
        },
        body,
      });
      const answer = (await res.json()) as { deployments?: { id: string }[] };
      if (res.status !== 202) throw new Error(`the build hook answered ${res.status}`);
      return (answer.deployments ?? []).map((p) => p.id);
    },
    async settle(id) {
      const d = await waitFinal(app, id);
      await app.githubDeployments?.idle();
      return d;
    },
    async restart() {
      await app.stop();
      app = await open();
    },
    async start() {
      await app.start();
    },
    async replica() {
      const other = await open();
      replicas.push(other);
      return other;
    },
    async close() {
      for (const other of replicas) await other.stop();
      await app.stop();
      await gh.close();
      await removeTestDir(dir);
    },
  };
}

/** A driver whose every call throws, as one that cannot reach its target does. */
const brokenDriver: DeployDriver<unknown> = {
  id: 'broken',
  optionsSchema: z.record(z.string(), z.unknown()),
  async deploy() {
    throw new Error('the cluster cannot be reached');
  },
  async watch() {
    throw new Error('the cluster cannot be reached');
  },
};

/** Each GitHub deployment of the double as its states, oldest first. */
export function statesOf(gh: GitHubDouble): string[][] {
  return gh.deployments().map((d) => d.statuses.map((s) => s.state));
}
