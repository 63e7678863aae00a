import { pino } from 'pino';
import type { ArgoCdDouble } from '../../../../test/support/argocd-double.js';
import type { Deployment } from '../../../core/deployment.js';
import { runningDeployment } from '../../test-support/deployment.js';
import type { DriverContext, DriverHandle } from '../../types.js';
import { type ArgoCdDriverTuning, createArgoCdDriver } from '../index.js';
import { type ArgoCdOptions, optionsSchema } from '../schema.js';

/** Short timings so tests do not wait for production backoffs. */
export const FAST: ArgoCdDriverTuning = {
  client: { tries: 4, backoffMs: 10, maxBackoffMs: 40, requestTimeoutMs: 2_000 },
  staleMs: 2_000,
  settleMs: 200,
};

export const IMAGE = 'registry.test/web';

export function makeDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return runningDeployment(
    { id: 'dep1', correlationId: 'corr-1', driver: 'argocd' },
    { version: '1.1.0', previousVersion: '1.0.0', ...overrides },
  );
}

export type TestContext = DriverContext<ArgoCdOptions> & { reported: string[] };

/** A driver pointed at `double`, and contexts for it (options through the real schema). */
export function argoWorld(double: ArgoCdDouble, env: NodeJS.ProcessEnv = {}) {
  const fullEnv = { ARGOCD_SERVER: double.url, ARGOCD_TOKEN: double.token, ...env };
  const log = pino({ level: 'silent' });
  return {
    env: fullEnv,
    driver: (tuning: Partial<ArgoCdDriverTuning> = FAST) =>
      createArgoCdDriver({ dataDir: '/nonexistent', env: fullEnv, log }, tuning),
    context(
      options: Record<string, unknown> = {},
      extra: { deployment?: Partial<Deployment>; signal?: AbortSignal; image?: string | null } = {},
    ): TestContext {
      const reported: string[] = [];
      return {
        deployment: makeDeployment(extra.deployment),
        image: extra.image === undefined ? IMAGE : extra.image,
        options: optionsSchema.parse({
          application: 'web',
          kustomize: {},
          pollInterval: '20ms',
          timeout: '5s',
          ...options,
        }),
        log,
        signal: extra.signal ?? new AbortController().signal,
        progress: (text) => reported.push(text),
        reported,
      };
    },
  };
}

/** Deploys and waits, as the engine does. */
export async function deployAndWatch(
  world: ReturnType<typeof argoWorld>,
  ctx: TestContext,
): Promise<{
  handle: DriverHandle;
  outcome: Awaited<ReturnType<ReturnType<typeof createArgoCdDriver>['watch']>>;
}> {
  const driver = world.driver();
  const handle = await driver.deploy(ctx);
  return { handle, outcome: await driver.watch(ctx, handle) };
}
