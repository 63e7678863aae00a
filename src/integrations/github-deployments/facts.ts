import type { Deployment } from '../../core/deployment.js';
import { deploymentSubject } from '../../core/message-subject.js';
import type { GitHubDeploymentRecord, Store } from '../../store/types.js';
import type { Aftermath } from './plan.js';
import { slotOf } from './target.js';

/**
 * What retired a successful deployment since, read from the store: its preview was torn down
 * (the review of a transient deployment was closed), or a newer success took its slot.
 */
export async function aftermathOf(
  store: Store,
  d: Deployment,
  rec: GitHubDeploymentRecord,
): Promise<Aftermath> {
  if (d.state !== 'succeeded') return {};
  if (rec.transient) {
    const decision = await store.getReviewDecision(d.id);
    if (decision?.decision === 'closed') return { tornDownBy: decision.actor };
  }
  const succeeded = await store.listDeployments({
    service: d.service,
    environment: d.environment,
    states: ['succeeded'],
    limit: 20,
  });
  const finished = d.finishedAt?.getTime() ?? 0;
  const replacedBy = succeeded
    .filter((x) => x.id !== d.id && slotOf(x, rec.transient) === rec.slot)
    .filter((x) => (x.finishedAt?.getTime() ?? 0) > finished)
    .sort((a, b) => (a.finishedAt?.getTime() ?? 0) - (b.finishedAt?.getTime() ?? 0))[0];
  return { replacedBy: replacedBy ?? null };
}

/** The reports still showing success in the slot `d` just took: each is to be retired. */
export async function replacedBy(
  store: Store,
  d: Deployment,
  rec: GitHubDeploymentRecord,
): Promise<string[]> {
  const live = await store.listGitHubDeployments({
    service: d.service,
    environment: d.environment,
    slot: rec.slot,
    lastState: 'success',
    open: true,
    limit: 20,
  });
  return live.filter((r) => r.deploymentId !== d.id).map((r) => r.deploymentId);
}

/**
 * Where a status links to (`log_url`): the dashboard's page of the deployment when
 * SLIPWAY_PUBLIC_URL is set, else its chat card once it is posted (remembered per deployment:
 * asking the chat platform for a permalink is a call), else nothing.
 */
export function logLinks(deps: {
  store: Store;
  publicUrl?: string | undefined;
  permalink?: (ref: { channel: string; ts: string }) => Promise<string | null>;
}): (d: Deployment) => Promise<string | null> {
  const permalinks = new Map<string, string>();
  return async (d) => {
    if (deps.publicUrl) return `${deps.publicUrl}/deployments/${encodeURIComponent(d.id)}`;
    const known = permalinks.get(d.id);
    if (known || !deps.permalink) return known ?? null;
    const messages = await deps.store.listPostedMessages(deploymentSubject(d.id));
    const card = messages.find((m) => m.purpose === 'main' && m.ts !== null);
    const link = card?.ts ? await deps.permalink({ channel: card.channel, ts: card.ts }) : null;
    if (!link || !/^https?:\/\//.test(link)) return null;
    permalinks.set(d.id, link);
    return link;
  };
}
