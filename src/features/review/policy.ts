import type { Config } from '../../config/schema.js';
import { isAdmin, isMember, isOwner } from '../../policy/principals.js';
import { describePrincipals } from '../../policy/text.js';
import { allow, type Decision, refuse, type Target } from '../../policy/types.js';

/**
 * The review of a build that reached a pre-production environment (seeds/001): the service's
 * QA give their verdict on it; its owners (or an admin) promote it to the next environment or
 * close it. The promotion itself is a deploy and goes through `decideChange` as well.
 */

/** QA only, and never the person who deployed the build (four-eyes). */
export function decideReview(config: Config, { request, service, environment }: Target): Decision {
  if (!service || !environment) return refuse('incomplete_request', 'Say which build.');
  if (request.requestedBy === undefined) {
    return refuse(
      'incomplete_request',
      `Cannot check who deployed this build of ${service.name} to ${environment.name}, so it cannot be reviewed; try again from the review message.`,
    );
  }
  if (service.qa.length === 0) {
    return refuse(
      'not_qa',
      `${service.name} has no QA listed, so nobody reviews its builds; an admin can list them under services → ${service.name} → qa in slipway.yaml.`,
    );
  }
  const qa = describePrincipals(config, service.qa, service);
  if (request.requestedBy === request.actor) {
    return refuse(
      'self_approval',
      `You deployed this build of ${service.name} to ${environment.name}, so someone else from QA must review it (four-eyes): ${qa}.`,
    );
  }
  if (!isMember(config, request.actor, service.qa, service)) {
    return refuse(
      'not_qa',
      `${request.actor} may not review builds of ${service.name}: reviews come from its QA (${qa}).`,
    );
  }
  return allow();
}

/** Promote or close a reviewed build: the service's owners or an admin. */
export function decideOwnerDecision(
  config: Config,
  { request, service, environment }: Target,
): Decision {
  if (!service || !environment) return refuse('incomplete_request', 'Say which build.');
  if (isOwner(config, request.actor, service) || isAdmin(config, request.actor)) return allow();
  const owners = describePrincipals(config, ['service:owners'], service);
  return refuse(
    'not_owner',
    `${request.actor} may not ${request.action === 'promote' ? 'promote' : 'close'} builds of ${service.name}: only ${owners} or an admin may. Ask one of them.`,
  );
}
