import type { Config, Environment, Service } from '../config/schema.js';
import { listOr } from '../config/suggest.js';
import type { Lock } from '../core/deployment.js';
import { checkBadVersion } from './bad-version.js';
import { activeFreeze } from './freeze.js';
import { coveringLocks, exactLocks, mayBreakLock } from './locks.js';
import { mayDeploy, mayOverrideFreeze, whoMayDeploy, whoMayOverrideFreeze } from './rights.js';
import {
  channelName,
  describeHeldLock,
  formatTime,
  lockScope,
  lockTarget,
  pastVerb,
  type Verb,
  verb,
} from './text.js';
import { allow, type Decision, refuse, type Target } from './types.js';

/**
 * deploy, retry and rollback: rights, then channel, then a version marked bad, then freeze, then
 * locks. `rollback` here is
 * a rollback to the previous version; the engine asks about a rollback to any other version as
 * a deploy, since it puts something on the target that was not just there.
 */
export function decideChange(config: Config, target: Target): Decision {
  const { request, service, environment } = target;
  if (!service || !environment)
    return refuse('incomplete_request', `Say which service and environment.`);
  const action = request.action === 'rollback' ? 'rollback' : 'deploy';
  const rights = checkRights(config, target, action);
  if (rights) return rights;
  const channel = checkChannel(target, action);
  if (channel) return channel;
  const bad = checkBadVersion(target);
  if (bad && !bad.allowed) return bad;

  const notes: string[] = [...(bad?.notes ?? [])];
  const freeze = activeFreeze(environment, request.now);
  if (freeze) {
    const until = formatTime(freeze.endsAt, freeze.window.timezone);
    const label = `"${freeze.window.reason}"`;
    if (action === 'rollback' && environment.rollback.duringFreeze) {
      // Undoing a bad release is how a freeze is kept safe; the environment's rollback rule
      // says so (a rollback to any other version reaches policy as a deploy).
      notes.push(`Rollback during freeze ${label} (until ${until}).`);
    } else if (!request.force || request.source === 'webhook') {
      const self = mayOverrideFreeze(config, request.actor, environment, service);
      const override = `deploy! ${service.name} ${request.version ?? '<version>'} to ${environment.name}`;
      return refuse(
        'frozen',
        `${environment.name} is frozen until ${until} (${freeze.window.reason}). ` +
          (self
            ? `If this cannot wait, override the freeze with ${override}.`
            : `Wait until then, or, if this cannot wait, ask ${whoMayOverrideFreeze(config, environment, service)} to deploy it with ${override}.`),
      );
    } else if (!mayOverrideFreeze(config, request.actor, environment, service)) {
      return refuse(
        'freeze_override_denied',
        `${request.actor} may not override the freeze on ${environment.name} (${freeze.window.reason}, until ${until}): ` +
          `only ${whoMayOverrideFreeze(config, environment, service)} may. Ask one of them, or wait until the freeze ends.`,
      );
    } else {
      notes.push(`Freeze ${label} overridden by ${request.actor} (it lasts until ${until}).`);
    }
  }

  const held = othersLocks(
    coveringLocks(locksHere(target), service.name, request.now),
    request.actor,
  );
  const lock = held[0];
  if (lock) {
    return refuse(
      'locked',
      `${describeHeldLock(lock)}, so ${service.name} cannot be ${pastVerb(action)} there. ` +
        `Ask ${lock.owner} to unlock ${lockTarget(lock)}${lock.expiresAt ? ' or wait until the lock expires' : ''}; ` +
        `${lockBreakers(lock)} can remove it with unlock! ${lockTarget(lock)}.`,
    );
  }
  return allow(notes);
}

/** lock and unlock: the right to deploy there, then channel, then other people's locks. */
export function decideLock(config: Config, target: Target): Decision {
  const { request, service, environment } = target;
  if (!environment) return refuse('incomplete_request', 'Say which environment.');
  const action = request.action === 'unlock' ? 'unlock' : 'lock';
  const rights = checkRights(config, target, action);
  if (rights) return rights;
  const channel = checkChannel(target, action);
  if (channel) return channel;

  const scope = service?.name ?? null;
  const locks = locksHere(target);
  const candidates =
    action === 'lock'
      ? coveringLocks(locks, scope, request.now)
      : exactLocks(locks, scope, request.now);
  const held = othersLocks(candidates, request.actor);
  if (held.length === 0) return allow();
  const command = `${action}! ${environment.name}${scope ? ` ${scope}` : ''}`;
  const first = held[0] as Lock;
  if (!request.force) {
    return refuse(
      'lock_held',
      `${describeHeldLock(first)}. Ask ${first.owner} to unlock it; ${lockBreakers(first)} can ${action === 'lock' ? 'take it over' : 'remove it'} with ${command}.`,
    );
  }
  const denied = held.find((lock) => !mayBreakLock(config, request.actor, lock));
  if (denied) {
    return refuse(
      'lock_override_denied',
      `${request.actor} may not ${action === 'lock' ? 'take over' : 'remove'} the lock ${denied.owner} holds on ${lockScope(denied)}: only ${lockBreakers(denied)} may. Ask ${denied.owner} to unlock it.`,
    );
  }
  const done = action === 'lock' ? 'taken over' : 'removed';
  return allow(
    held.map(
      (lock) =>
        `Lock on ${lockScope(lock)} held by ${lock.owner}${lock.reason ? ` ("${lock.reason}")` : ''} ${done} by ${request.actor}.`,
    ),
  );
}

function checkRights(
  config: Config,
  { request, service, environment }: Target,
  action: Verb,
): Decision | null {
  if (!environment) return null;
  if (mayDeploy(config, request.actor, environment, service)) return null;
  // Builds reported to /hooks/build deploy where an autoDeploy rule sends them.
  if (
    request.source === 'webhook' &&
    action === 'deploy' &&
    service &&
    autoDeployTargets(config, service, environment)
  ) {
    return null;
  }
  const what = service
    ? `${service.name} ${action === 'deploy' ? 'to' : 'in'} ${environment.name}`
    : environment.name;
  const why =
    action === 'lock' || action === 'unlock' ? ' (locking needs the right to deploy there)' : '';
  return refuse(
    'not_deployer',
    `${request.actor} may not ${verb(action)} ${what}${why}: ${environment.name} allows ${whoMayDeploy(config, environment, service)}. ` +
      `Ask one of them, or ask an admin to add you to ${environment.name}'s deployers in slipway.yaml.`,
  );
}

/** Chat requests for an environment with `channels` must come from one of them; CLI and API are not chat. */
function checkChannel({ request, environment }: Target, action: Verb): Decision | null {
  if (!environment || request.source !== 'chat' || environment.channels.length === 0) return null;
  const wanted = environment.channels.map((c) => c.replace(/^#/, '').toLowerCase());
  const here = request.channel?.replace(/^#/, '').toLowerCase() ?? null;
  if (here !== null && wanted.includes(here)) return null;
  const names = environment.channels.map(channelName);
  return refuse(
    'wrong_channel',
    `${environment.name} can only be ${pastVerb(action)} from ${listOr(names)}, so everyone there sees it; run the command in ${names.length === 1 ? 'that channel' : 'one of those channels'}.`,
  );
}

function autoDeployTargets(config: Config, service: Service, environment: Environment): boolean {
  return config.autoDeploy.some(
    (rule) =>
      rule.environment === environment.name &&
      (rule.service === undefined || rule.service === service.name),
  );
}

function othersLocks(locks: readonly Lock[], actor: string): Lock[] {
  return locks.filter((lock) => lock.owner !== actor);
}

/** Who may break a lock (see mayBreakLock), as words. */
function lockBreakers(lock: Lock): string {
  return lock.service ? `an admin or an owner of ${lock.service}` : 'an admin';
}

/** The store is asked for this environment's locks; anything else passed in does not apply. */
function locksHere({ request, environment }: Target): Lock[] {
  return (request.locks ?? []).filter((lock) => lock.environment === environment?.name);
}

/**
 * Approvals a change needs before it runs: the environment's rollback rule for a rollback to
 * the previous version, its approvals for anything else that changes the target.
 */
export function approvalsFor(environment: Environment, action: 'deploy' | 'rollback'): number {
  return action === 'rollback' ? environment.rollback.approvals : environment.approvals.required;
}
