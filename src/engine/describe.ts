import type { Deployment } from '../core/deployment.js';

/** One line about a deployment for messages: `d-1a2b (web 1.4.2 → staging, running, by U1)`. */
export function describeDeployment(d: Deployment): string {
  return `${d.id} (${d.kind === 'rollback' ? 'rollback of ' : ''}${d.service} ${d.version} → ${d.environment}, ${d.state.replace('_', ' ')}, by ${d.requestedBy})`;
}
