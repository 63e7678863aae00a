import { findEnvironment, findService, serviceEnvironments } from '../config/lookup.js';
import type { Config } from '../config/schema.js';
import { suggest } from '../core/suggest.js';
import type { DoraTarget } from './types.js';

/**
 * Where each service's changes reach its users: the environments it deploys to that are marked
 * `protected`, or, when none of them is, the last of its promotion chain (highest `order`). This
 * is what DORA calls production; naming an environment (`--environment`) measures that one
 * instead.
 */
export function productionTargets(config: Config, service?: string): DoraTarget[] {
  return config.services
    .filter((s) => service === undefined || s.name === service)
    .flatMap((s) => {
      const chain = serviceEnvironments(config, s);
      const guarded = chain.filter((name) => findEnvironment(config, name)?.protected);
      const chosen = guarded.length > 0 ? guarded : chain.slice(-1);
      return chosen.map((environment) => ({ service: s.name, environment }));
    });
}

/**
 * The targets a report asks for: production-like ones, narrowed to a service, or every service
 * in a named environment. A sentence saying what is wrong for an unknown or unused name.
 */
export function doraTargets(
  config: Config,
  filter: { service?: string; environment?: string },
): DoraTarget[] | string {
  const { service, environment } = filter;
  if (service !== undefined && !findService(config, service)) {
    return unknown(
      'service',
      service,
      config.services.map((s) => s.name),
    );
  }
  if (environment === undefined) return productionTargets(config, service);
  if (!findEnvironment(config, environment)) {
    return unknown(
      'environment',
      environment,
      config.environments.map((e) => e.name),
    );
  }
  const targets = config.services
    .filter((s) => service === undefined || s.name === service)
    .filter((s) => serviceEnvironments(config, s).includes(environment))
    .map((s) => ({ service: s.name, environment }));
  if (targets.length > 0) return targets;
  return service === undefined
    ? `No service deploys to ${environment}.`
    : `${service} does not deploy to ${environment}: it deploys to ${serviceEnvironments(config, service).join(', ')}.`;
}

function unknown(what: string, name: string, names: string[]): string {
  const near = suggest(name, names);
  return `Unknown ${what} "${name}".${near ? ` Did you mean ${near}?` : ` Known: ${names.join(', ')}.`}`;
}
