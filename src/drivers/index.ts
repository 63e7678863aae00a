import type { z } from 'zod';
import type { CanarySupport } from '../config/driver-options.js';
import { createLogger } from '../core/logger.js';
import * as argocd from './argocd/index.js';
import * as command from './command/index.js';
import * as githubActions from './github-actions/index.js';
import * as helm from './helm/index.js';
import * as jenkins from './jenkins/index.js';
import * as kubernetes from './kubernetes/index.js';
import type { DeployDriver, DriverFactory, DriverFactoryContext } from './types.js';

/**
 * Every deploy driver, by the id config uses in `driver:`. Written out by hand so adding a driver
 * is a visible one-line change; registry.test.ts fails when a driver folder is missing here.
 */
export const drivers: ReadonlyMap<string, DriverFactory> = new Map<string, DriverFactory>([
  ['argocd', (ctx) => argocd.createArgoCdDriver(ctx) as DeployDriver<unknown>],
  ['command', command.createCommandDriver],
  [
    'github-actions',
    (ctx) => githubActions.createGitHubActionsDriver(ctx) as DeployDriver<unknown>,
  ],
  ['helm', (ctx) => helm.createHelmDriver(ctx) as DeployDriver<unknown>],
  ['jenkins', (ctx) => jenkins.createJenkinsDriver(ctx) as DeployDriver<unknown>],
  ['kubernetes', (ctx) => kubernetes.createKubernetesDriver(ctx) as DeployDriver<unknown>],
]);

/** Option schemas by driver id, reachable without building drivers (config validation). */
const optionSchemas: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ['argocd', argocd.optionsSchema],
  ['command', command.optionsSchema],
  ['github-actions', githubActions.optionsSchema],
  ['helm', helm.optionsSchema],
  ['jenkins', jenkins.optionsSchema],
  ['kubernetes', kubernetes.optionsSchema],
]);

export function createDrivers(ctx: DriverFactoryContext): Map<string, DeployDriver<unknown>> {
  const built = new Map<string, DeployDriver<unknown>>();
  for (const [id, create] of drivers) {
    built.set(id, create({ ...ctx, log: ctx.log.child({ driver: id }) }));
  }
  return built;
}

export function driverOptionSchemas(): Map<string, z.ZodType> {
  return new Map(optionSchemas);
}

/**
 * Which drivers can run a canary, asked of the drivers themselves (their `canary` steps and
 * `capabilities(options).canary`), for the config check. They are built on the first question
 * only, with no logger: building one connects to nothing.
 */
export function driverCanarySupport(env: NodeJS.ProcessEnv = process.env): CanarySupport {
  let built: Map<string, DeployDriver<unknown>> | null = null;
  return (id, options) => {
    built ??= createDrivers({ dataDir: '', env, log: createLogger({ level: 'silent' }) });
    const driver = built.get(id);
    if (!driver?.canary) return 'cannot';
    return driver.capabilities?.(options).canary ? 'splits' : 'needs-options';
  };
}
