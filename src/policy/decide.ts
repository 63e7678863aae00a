import { bindingOf, findEnvironment, findService, serviceEnvironments } from '../config/lookup.js';
import { actorOf } from '../config/people.js';
import type { Config, Service } from '../config/schema.js';
import { closest } from '../config/suggest.js';
import { decideVerdict } from '../features/approvals/policy.js';
import { decideOwnerDecision, decideReview } from '../features/review/policy.js';
import { decideChange, decideLock } from './change.js';
import { isAdmin, isOwner } from './principals.js';
import {
  type Action,
  allow,
  type Decision,
  type PolicyRequest,
  refuse,
  type Target,
} from './types.js';

export type { Action, Decision, PolicyRequest, RefusalCode } from './types.js';

/**
 * Policy: may this person, from here, do this to this service and environment, now? Pure: the
 * caller brings the locks and the time, and gets back a yes (with notes worth telling
 * everyone, such as an overridden freeze) or a no with a sentence the person can act on.
 */

export function decide(config: Config, request: PolicyRequest): Decision {
  const target = resolve(config, samePeople(config, request));
  if ('allowed' in target) return target;
  switch (request.action) {
    case 'status':
    case 'history':
      return allow();
    case 'deploy':
    case 'retry':
    case 'rollback':
      return decideChange(config, target);
    case 'lock':
    case 'unlock':
      return decideLock(config, target);
    case 'approve':
    case 'reject':
      return decideVerdict(config, target);
    case 'cancel':
      return decideCancel(config, target);
    case 'steer':
      // Pausing, resuming or promoting a canary now is a say in how it goes out, as a cancel is.
      return decideCancel(config, target, 'steer the canary of');
    case 'review':
      return decideReview(config, target);
    case 'promote':
    case 'close':
      return decideOwnerDecision(config, target);
  }
}

/**
 * Names everyone in the request by their one id (a listed person's key), so that "is this the
 * requester?" and "whose lock is it?" hold across platforms, and for deployments and locks
 * recorded under a platform id before that person was listed under `people`.
 */
function samePeople(config: Config, request: PolicyRequest): PolicyRequest {
  if (Object.keys(config.people).length === 0) return request;
  const same: PolicyRequest = { ...request, actor: actorOf(config, request.actor) };
  if (request.requestedBy !== undefined) same.requestedBy = actorOf(config, request.requestedBy);
  if (request.locks)
    same.locks = request.locks.map((lock) => ({ ...lock, owner: actorOf(config, lock.owner) }));
  return same;
}

/** What each action needs named; the engine resolves defaults before asking. */
const NEEDS: Record<Action, { service: boolean; environment: boolean }> = {
  deploy: { service: true, environment: true },
  rollback: { service: true, environment: true },
  lock: { service: false, environment: true },
  unlock: { service: false, environment: true },
  approve: { service: true, environment: true },
  reject: { service: true, environment: true },
  cancel: { service: true, environment: true },
  steer: { service: true, environment: true },
  retry: { service: true, environment: true },
  // The environment the build is on; a promotion's target is checked as a deploy.
  review: { service: true, environment: true },
  promote: { service: true, environment: true },
  close: { service: true, environment: true },
  status: { service: false, environment: false },
  history: { service: false, environment: false },
};

function resolve(config: Config, request: PolicyRequest): Target | Decision {
  const reading = request.action === 'status' || request.action === 'history';
  // An unidentified actor would match `*`; only reading is open to everyone.
  if (request.actor.trim() === '' && !reading) {
    return refuse(
      'incomplete_request',
      `Slipway could not tell who sent this ${request.action} request, so it was not done; send it again from chat or the CLI.`,
    );
  }
  const service = request.service === null ? null : resolveService(config, request.service);
  if (service && 'allowed' in service) return service;
  const environment =
    request.environment === null ? null : findEnvironment(config, request.environment);
  if (request.environment !== null && !environment) {
    const names = config.environments.map((e) => e.name);
    const near = closest(request.environment, names);
    return refuse(
      'unknown_environment',
      `There is no environment called "${request.environment}". Known environments: ${names.join(', ')}.`,
      near ? `Did you mean ${near}?` : null,
    );
  }
  const needs = NEEDS[request.action];
  const missing = [
    needs.service && !service ? 'a service' : null,
    needs.environment && !environment ? 'an environment' : null,
  ]
    .filter((m): m is string => m !== null)
    .join(' and ');
  if (missing !== '')
    return refuse('incomplete_request', `Say which: ${request.action} needs ${missing}.`);
  const changes = ['deploy', 'retry', 'rollback', 'lock', 'unlock'].includes(request.action);
  if (changes && service && environment && bindingOf(service, environment.name) === null) {
    const where = serviceEnvironments(config, service);
    return refuse(
      'not_deployable_here',
      `${service.name} is not set up for ${environment.name}` +
        (where.length > 0 ? `; it deploys to ${where.join(', ')}` : '') +
        `. To change that, add ${environment.name} under services → ${service.name} → environments in slipway.yaml.`,
    );
  }
  return { request, service, environment };
}

/**
 * A service named in a request, or the refusal that names the known ones. Every entry point
 * (chat, CLI, API, the build hook) finds services through here, so the answer is the same.
 */
export function resolveService(config: Config, name: string): Service | Decision {
  const service = findService(config, name);
  if (service) return service;
  const names = config.services.map((s) => s.name);
  const near = closest(name, names);
  return refuse(
    'unknown_service',
    `There is no service called "${name}". Known services: ${names.join(', ')}.`,
    near ? `Did you mean ${near}?` : null,
  );
}

function decideCancel(
  config: Config,
  { request, service, environment }: Target,
  what = 'cancel',
): Decision {
  if (!service || !environment) return refuse('incomplete_request', 'Say which deployment.');
  const actor = request.actor;
  if (actor === request.requestedBy || isOwner(config, actor, service) || isAdmin(config, actor))
    return allow();
  const requester = request.requestedBy ? `the requester (${request.requestedBy}), ` : '';
  return refuse(
    'not_requester',
    `Only ${requester}the owners of ${service.name} (${service.owners.join(', ') || 'none listed'}) or an admin may ${what} this deployment to ${environment.name}; ask one of them.`,
  );
}
