import { bindingOf } from '../config/lookup.js';
import type { Config, Environment, Service } from '../config/schema.js';
import { listOr } from '../config/suggest.js';
import { isAdmin, isMember, isOwner } from './principals.js';
import { principalParts } from './text.js';

/**
 * Who may change what is deployed in an environment: admins, the service's owners, and the
 * environment's deployers (`["*"]` by default, `["service:owners"]` when protected).
 * Without a service (an environment-wide lock), anyone who may deploy some service there.
 */
export function mayDeploy(
  config: Config,
  actor: string,
  environment: Environment,
  service: Service | null,
): boolean {
  if (isAdmin(config, actor)) return true;
  if (service)
    return (
      isOwner(config, actor, service) || isMember(config, actor, environment.deployers, service)
    );
  if (isMember(config, actor, environment.deployers, null)) return true;
  return config.services.some(
    (s) =>
      bindingOf(s, environment.name) !== null &&
      (isOwner(config, actor, s) || isMember(config, actor, environment.deployers, s)),
  );
}

/** `deploy!` during a freeze: the environment's freezeOverride list, or an admin. */
export function mayOverrideFreeze(
  config: Config,
  actor: string,
  environment: Environment,
  service: Service | null,
): boolean {
  return isAdmin(config, actor) || isMember(config, actor, environment.freezeOverride, service);
}

/** `the owners of web (@web-team) or an admin (@admins)` for "ask one of them" sentences. */
export function whoMayDeploy(
  config: Config,
  environment: Environment,
  service: Service | null,
): string {
  if (environment.deployers.includes('*')) return 'anyone';
  const owners = service
    ? principalParts(config, ['service:owners'], service)
    : [`the owners of a service deployed to ${environment.name}`];
  // Owners may always deploy, so `service:owners` in deployers is already said above.
  const others = environment.deployers.filter((p) => p !== 'service:owners');
  const deployers = principalParts(config, others, service);
  return withAdmins(config, [...owners, ...deployers]);
}

export function whoMayOverrideFreeze(
  config: Config,
  environment: Environment,
  service: Service | null,
): string {
  return withAdmins(config, principalParts(config, environment.freezeOverride, service));
}

function withAdmins(config: Config, others: string[]): string {
  if (others.includes('anyone')) return 'anyone';
  const admins = config.admins.length > 0 ? `an admin (${config.admins.join(', ')})` : 'an admin';
  return listOr([...others, admins]);
}
