import type { Config, Service } from '../config/schema.js';
import { listOr } from '../config/suggest.js';
import type { Lock } from '../core/deployment.js';

/** Sentence parts shared by the policy's reasons. Plain text: renderers add markup. */

export type Verb = 'deploy' | 'rollback' | 'lock' | 'unlock';

const VERBS: Record<Verb, { base: string; past: string }> = {
  deploy: { base: 'deploy', past: 'deployed' },
  rollback: { base: 'roll back', past: 'rolled back' },
  lock: { base: 'lock', past: 'locked' },
  unlock: { base: 'unlock', past: 'unlocked' },
};

export function verb(action: Verb): string {
  return VERBS[action].base;
}

export function pastVerb(action: Verb): string {
  return VERBS[action].past;
}

/** `#C0DEPLOYS` whether config wrote `C0DEPLOYS` or `#C0DEPLOYS`. */
export function channelName(channel: string): string {
  // A Teams conversation id says nothing to a person as `#teams:19:…`; its platform does.
  if (channel.startsWith('teams:')) return `the Teams channel ${channel.slice('teams:'.length)}`;
  return `#${channel.replace(/^#/, '')}`;
}

/** `["@qa", "service:owners"]` → `@qa or the owners of web (@web-team)`. */
export function describePrincipals(
  config: Config,
  principals: readonly string[],
  service: Service | null,
): string {
  const parts = principalParts(config, principals, service);
  return parts.length === 0 ? 'nobody' : listOr(parts);
}

/** One phrase per principal; `["anyone"]` when the list has `*`. */
export function principalParts(
  config: Config,
  principals: readonly string[],
  service: Service | null,
): string[] {
  if (principals.includes('*')) return ['anyone'];
  return [...new Set(principals)].map((p) => describePrincipal(config, p, service));
}

function describePrincipal(config: Config, principal: string, service: Service | null): string {
  if (principal === 'service:owners' || principal === 'service:qa') {
    const role = principal === 'service:owners' ? 'owners' : 'QA';
    if (!service) return `the ${role} of the service`;
    const list = principal === 'service:owners' ? service.owners : service.qa;
    return `the ${role} of ${service.name} (${list.length > 0 ? list.join(', ') : 'none listed'})`;
  }
  if (principal.startsWith('@') && config.groups[principal.slice(1)] === undefined) {
    return `${principal} (an undefined group)`;
  }
  return principal;
}

/** `Mon 4 Mar 08:00 Europe/Berlin`: the zone the window was written in, as its author reads it. */
export function formatTime(date: Date, timeZone = 'UTC'): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('hour')}:${part('minute')} ${timeZone}`;
}

/** `production` or `web in production`. */
export function lockScope(lock: Pick<Lock, 'environment' | 'service'>): string {
  return lock.service ? `${lock.service} in ${lock.environment}` : lock.environment;
}

/** `production is locked by U2 ("db migration") since Fri 1 Mar 14:02 UTC, until Fri 1 Mar 16:02 UTC` */
export function describeHeldLock(lock: Lock): string {
  const why = lock.reason ? ` ("${lock.reason}")` : '';
  const until = lock.expiresAt ? `, until ${formatTime(lock.expiresAt)}` : ', with no expiry';
  return `${lockScope(lock)} is locked by ${lock.owner}${why} since ${formatTime(lock.createdAt)}${until}`;
}

/** The command that names a lock's scope: `production` or `production web`. */
export function lockTarget(lock: Pick<Lock, 'environment' | 'service'>): string {
  return lock.service ? `${lock.environment} ${lock.service}` : lock.environment;
}
