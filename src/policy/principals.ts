import { actorOf } from '../config/people.js';
import type { Config, Service } from '../config/schema.js';

/**
 * Principal lists (see `Principal` in src/config/schema.ts): person keys and user ids, `@group`,
 * `*`, and `service:owners` / `service:qa`, which mean the lists of the service being acted on
 * and so match nobody when no service is in question. The loaded config names every listed
 * person by key; an actor named by one of their platform ids (an approval recorded before they
 * were listed) is that person too.
 */
export function isMember(
  config: Config,
  actor: string,
  principals: readonly string[],
  service: Service | null = null,
): boolean {
  // An empty actor is a bug upstream, never "anyone": fail closed.
  if (actor === '') return false;
  const who = actorOf(config, actor);
  return principals.some((principal) => matches(config, who, principal, service, new Set()));
}

function matches(
  config: Config,
  actor: string,
  principal: string,
  service: Service | null,
  seen: Set<string>,
): boolean {
  if (principal === '*') return true;
  // Groups may contain groups; `seen` stops a cycle from recursing forever.
  if (seen.has(principal)) return false;
  if (principal.startsWith('@')) {
    seen.add(principal);
    const members = config.groups[principal.slice(1)] ?? [];
    return members.some((member) => matches(config, actor, member, service, seen));
  }
  if (principal === 'service:owners' || principal === 'service:qa') {
    if (!service) return false;
    seen.add(principal);
    const list = principal === 'service:owners' ? service.owners : service.qa;
    return list.some((member) => matches(config, actor, member, service, seen));
  }
  return principal === actor;
}

export function isAdmin(config: Config, actor: string): boolean {
  return isMember(config, actor, config.admins, null);
}

export function isOwner(config: Config, actor: string, service: Service): boolean {
  return isMember(config, actor, service.owners, service);
}

/**
 * The people a principal list names, for notifications ("@qa, please approve"): user ids in
 * list order, and whether `*` makes it anyone.
 */
export function membersOf(
  config: Config,
  principals: readonly string[],
  service: Service | null = null,
): { users: string[]; anyone: boolean } {
  const users = new Set<string>();
  let anyone = false;
  const seen = new Set<string>();
  const visit = (principal: string): void => {
    if (principal === '*') {
      anyone = true;
      return;
    }
    if (seen.has(principal)) return;
    seen.add(principal);
    if (principal.startsWith('@')) (config.groups[principal.slice(1)] ?? []).forEach(visit);
    else if (principal === 'service:owners') service?.owners.forEach(visit);
    else if (principal === 'service:qa') service?.qa.forEach(visit);
    else users.add(principal);
  };
  principals.forEach(visit);
  return { users: [...users], anyone };
}
