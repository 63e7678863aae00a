import type { Config } from '../../config/schema.js';
import { isMember } from '../../policy/principals.js';
import { describePrincipals } from '../../policy/text.js';
import { allow, type Decision, refuse, type Target } from '../../policy/types.js';

/**
 * Approving or rejecting a deployment that waits for approval: the environment's
 * `approvals.from` decide, and never the person who requested it (four-eyes), admins included.
 */
export function decideVerdict(config: Config, { request, service, environment }: Target): Decision {
  if (!service || !environment) return refuse('incomplete_request', 'Say which deployment.');
  const approvers = environment.approvals.from;
  const who = describePrincipals(config, approvers, service);
  if (request.requestedBy === undefined) {
    return refuse(
      'incomplete_request',
      `Cannot check who requested this deployment of ${service.name} to ${environment.name}, so it cannot be ${request.action === 'approve' ? 'approved' : 'rejected'}; try again from the deployment's message.`,
    );
  }
  if (request.requestedBy === request.actor) {
    return refuse(
      'self_approval',
      request.action === 'approve'
        ? `You requested this deployment of ${service.name} to ${environment.name}, so someone else must approve it (four-eyes): ${who}.`
        : `You requested this deployment of ${service.name} to ${environment.name}; to withdraw it, cancel it instead.`,
    );
  }
  if (!isMember(config, request.actor, approvers, service)) {
    return refuse(
      'not_approver',
      approvers.length === 0
        ? `Nobody is set up to approve deployments to ${environment.name}; an admin can list approvers under approvals.from in slipway.yaml.`
        : `${request.actor} may not ${request.action} deployments of ${service.name} to ${environment.name}: approvals come from ${who}.`,
    );
  }
  return allow();
}
