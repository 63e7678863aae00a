import { Writable } from 'node:stream';
import {
  type DoubleJob,
  type DoubleOptions,
  type JenkinsDouble,
  startJenkinsDouble,
} from '../../../../test/support/jenkins-double.js';
import type { Deployment } from '../../../core/deployment.js';
import { createLogger } from '../../../core/logger.js';
import { runningDeployment } from '../../test-support/deployment.js';
import type { DeployDriver, DriverContext } from '../../types.js';
import { createJenkinsDriver, type JenkinsTuning } from '../index.js';
import { type JenkinsOptions, optionsSchema } from '../schema.js';

/** Short timings: retries in tens of milliseconds instead of seconds. */
export const FAST: Partial<JenkinsTuning> = {
  retry: { attempts: 3, baseMs: 20, maxWaitMs: 2_000 },
  requestTimeoutMs: 5_000,
};

/** A deploy job with the parameters the driver sends by default, and one of its own. */
export const DEPLOY_JOB: DoubleJob = {
  name: 'platform/deploy-web',
  parameters: [
    { name: 'VERSION' },
    { name: 'ENVIRONMENT' },
    { name: 'SLIPWAY_DEPLOYMENT_ID' },
    { name: 'REGION', default: 'eu-west-1' },
  ],
};
export const ROLLBACK_JOB: DoubleJob = {
  name: 'platform/rollback-web',
  parameters: [{ name: 'VERSION' }, { name: 'ENVIRONMENT' }, { name: 'SLIPWAY_DEPLOYMENT_ID' }],
};

export function makeDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return runningDeployment(
    {
      id: 'd-7c1e2a9b4f30',
      correlationId: '0d4b7f2e-3c1a-4e8b-9f60-5a2d1c7e8b94',
      driver: 'jenkins',
    },
    overrides,
  );
}

export type TestContext = DriverContext<JenkinsOptions> & { reported: string[] };

/** The double, a driver pointed at it, and everything the driver logged. */
export interface World {
  jenkins: JenkinsDouble;
  driver: DeployDriver<JenkinsOptions>;
  env: NodeJS.ProcessEnv;
  logs: string[];
  /** Another driver, as a process started after a crash would build it. */
  restart(): DeployDriver<JenkinsOptions>;
  context(
    options?: Record<string, unknown>,
    extra?: { deployment?: Partial<Deployment>; signal?: AbortSignal },
  ): TestContext;
  close(): Promise<void>;
}

export async function makeWorld(
  setup: { double?: Partial<DoubleOptions>; env?: NodeJS.ProcessEnv } = {},
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
  const jenkins = await startJenkinsDouble({ jobs: [DEPLOY_JOB, ROLLBACK_JOB], ...setup.double });
  const env = { JENKINS_USER: jenkins.user, JENKINS_TOKEN: jenkins.token, ...setup.env };
  const build = () => createJenkinsDriver({ dataDir: '/nonexistent', env, log }, FAST);
  return {
    jenkins,
    driver: build(),
    env,
    logs,
    restart: build,
    context(options = {}, extra = {}) {
      const reported: string[] = [];
      return {
        deployment: makeDeployment(extra.deployment),
        image: null,
        options: optionsSchema.parse({
          url: jenkins.url,
          job: DEPLOY_JOB.name,
          pollInterval: '30ms',
          timeout: '20s',
          ...options,
        }),
        log: log.child({ test: true }),
        signal: extra.signal ?? new AbortController().signal,
        progress: (text) => reported.push(text),
        reported,
      };
    },
    close: () => jenkins.close(),
  };
}

/** Waits until `read` gives a value, or fails after `ms`. */
export async function until<T>(read: () => T | undefined | null | false, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
