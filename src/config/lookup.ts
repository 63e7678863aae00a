import type { Config, Environment, Service } from './schema.js';

/** What the engine hands a driver: its id and the options as written (the driver validates them). */
export interface ResolvedBinding {
  driver: string;
  options: Record<string, unknown>;
}

type Named<T> = T | string;

export function findService(config: Config, name: string): Service | null {
  return config.services.find((service) => service.name === name) ?? null;
}

export function findEnvironment(config: Config, name: string): Environment | null {
  return config.environments.find((environment) => environment.name === name) ?? null;
}

/** Environments from the first of the promotion chain (lowest `order`) to the last. */
export function environmentsInOrder(config: Config): Environment[] {
  return [...config.environments].sort((a, b) => a.order - b.order);
}

/**
 * Names of the environments a service deploys to, in promotion order. A service that lists no
 * environments goes everywhere with its default driver; one that lists some goes only there.
 */
export function serviceEnvironments(config: Config, service: Named<Service>): string[] {
  const found = typeof service === 'string' ? findService(config, service) : service;
  if (!found) return [];
  return environmentsInOrder(config)
    .map((env) => env.name)
    .filter((env) => bindingOf(found, env) !== null);
}

/**
 * The driver and options for a service in an environment, or null when the service does not
 * deploy there. Options of an environment entry are merged over the service default's when
 * both use the same driver, so a default can be written once and tuned per environment.
 */
export function driverBinding(
  config: Config,
  service: Named<Service>,
  environment: Named<Environment>,
): ResolvedBinding | null {
  const found = typeof service === 'string' ? findService(config, service) : service;
  const envName = typeof environment === 'string' ? environment : environment.name;
  if (!found || !findEnvironment(config, envName)) return null;
  return bindingOf(found, envName);
}

/** The binding from the service alone, without checking that the environment exists. */
export function bindingOf(
  service: Pick<Service, 'driver' | 'environments'>,
  environment: string,
): ResolvedBinding | null {
  const entries = Object.keys(service.environments);
  const fallback = service.driver;
  if (entries.length === 0) {
    return fallback ? { driver: fallback.driver, options: { ...fallback.options } } : null;
  }
  const entry = service.environments[environment];
  if (!entry) return null;
  const driver = entry.driver ?? fallback?.driver;
  if (!driver) return null;
  const sameDriver = fallback !== undefined && fallback.driver === driver;
  const base = sameDriver ? fallback.options : {};
  return { driver, options: { ...base, ...(entry.options ?? {}) } };
}

/**
 * The environment after `environment` in the promotion chain; with `service`, the next one
 * that service deploys to. Null at the end of the chain or for an unknown name.
 */
export function nextEnvironment(
  config: Config,
  environment: string,
  service?: Named<Service>,
): Environment | null {
  const chain = environmentsInOrder(config);
  const index = chain.findIndex((env) => env.name === environment);
  if (index < 0) return null;
  const allowed = service === undefined ? null : new Set(serviceEnvironments(config, service));
  return chain.slice(index + 1).find((env) => allowed === null || allowed.has(env.name)) ?? null;
}
