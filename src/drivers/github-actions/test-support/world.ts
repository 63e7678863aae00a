import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import {
  type DoubleOptions,
  type GitHubDouble,
  slipwayWorkflow,
  startGitHubDouble,
} from '../../../../test/support/github-double.js';
import type { Deployment } from '../../../core/deployment.js';
import { createLogger } from '../../../core/logger.js';
import { githubWebhookRoute } from '../../../webhooks/github/index.js';
import { runningDeployment } from '../../test-support/deployment.js';
import type { DriverContext } from '../../types.js';
import {
  createGitHubActionsDriver,
  type GitHubActionsDriver,
  type GitHubActionsTuning,
} from '../index.js';
import { type GitHubActionsOptions, optionsSchema } from '../schema.js';

export const TOKEN = 'ghp_slipwayTestToken0123456789abcdef';
export const HOOK_SECRET = 'hook-secret-for-tests';

/** Short timings: retries and discovery in tens of milliseconds instead of seconds. */
export const FAST: GitHubActionsTuning = {
  retry: { attempts: 4, baseMs: 50, maxWaitMs: 5_000 },
  discoverMs: 50,
};

export function makeDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return runningDeployment(
    {
      id: 'd-0a1b2c3d4e5f',
      correlationId: '5f0c8a52-7d7e-4a4e-9a51-0c1f2e3d4b5a',
      driver: 'github-actions',
    },
    overrides,
  );
}

export type TestContext = DriverContext<GitHubActionsOptions> & { reported: string[] };

/** The double, a `/hooks/github` receiver wired to a driver, and a log that can be searched. */
export interface World {
  gh: GitHubDouble;
  driver: GitHubActionsDriver;
  env: NodeJS.ProcessEnv;
  /** Everything the driver logged, at debug level, as JSON lines. */
  logs: string[];
  context(
    options?: Record<string, unknown>,
    extra?: { deployment?: Partial<Deployment>; signal?: AbortSignal },
  ): TestContext;
  close(): Promise<void>;
}

export async function makeWorld(
  setup: {
    double?: Partial<DoubleOptions>;
    env?: NodeJS.ProcessEnv;
    tuning?: Partial<GitHubActionsTuning>;
  } = {},
): Promise<World> {
  const logs: string[] = [];
  const log = createLogger(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  );
  const gh = await startGitHubDouble({
    owner: 'acme',
    repo: 'web',
    token: TOKEN,
    workflows: [
      slipwayWorkflow(),
      slipwayWorkflow({ id: 161400, file: 'rollback.yml', name: 'Rollback' }),
    ],
    ...setup.double,
  });
  const env = { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.url, ...setup.env };
  const driver = createGitHubActionsDriver(
    { dataDir: '/nonexistent', env, log },
    {
      ...FAST,
      ...setup.tuning,
    },
  );
  const route = githubWebhookRoute({
    secret: HOOK_SECRET,
    onWorkflowRun: (event) => driver.workflowRun(event),
    log,
  });
  const hooks: Server = createServer((req, res) => {
    void route.handler(req, res, {}, new URL(req.url ?? '/', 'http://slipway.test'));
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  const { port } = hooks.address() as AddressInfo;
  gh.setWebhook({ url: `http://127.0.0.1:${port}/hooks/github`, secret: HOOK_SECRET });
  return {
    gh,
    driver,
    env,
    logs,
    context(options = {}, extra = {}) {
      const reported: string[] = [];
      return {
        deployment: makeDeployment(extra.deployment),
        image: null,
        options: optionsSchema.parse({
          owner: 'acme',
          repo: 'web',
          workflow: 'deploy.yml',
          pollInterval: '1m',
          startTimeout: '1s',
          timeout: '20s',
          ...options,
        }),
        log: log.child({ test: true }),
        signal: extra.signal ?? new AbortController().signal,
        progress: (text) => reported.push(text),
        reported,
      };
    },
    async close() {
      hooks.closeAllConnections();
      await new Promise<void>((resolve) => hooks.close(() => resolve()));
      await gh.close();
    },
  };
}
