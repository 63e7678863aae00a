import { findService } from '../../config/lookup.js';
import type { Config } from '../../config/schema.js';
import { type Deployment, type DeploymentState, isFinal } from '../../core/deployment.js';
import { formatDuration } from '../../core/duration.js';
import type { AnnotationBody } from './client.js';

/** Every annotation Slipway writes carries this tag: a dashboard shows them all by it. */
export const SLIPWAY_TAG = 'slipway';

/** How a deployment ended, as its `outcome:` tag says it. */
export type Outcome = 'succeeded' | 'failed' | 'rolled_back' | 'cancelled';

const OUTCOMES: Partial<Record<DeploymentState, Outcome>> = {
  succeeded: 'succeeded',
  failed: 'failed',
  rolled_back: 'rolled_back',
  cancelled: 'cancelled',
  // Replaced by a newer request after it had started: it did not finish, as a cancel.
  superseded: 'cancelled',
};

export function outcomeOf(d: Deployment): Outcome | null {
  return isFinal(d.state) ? (OUTCOMES[d.state] ?? null) : null;
}

/**
 * The tag that finds one deployment's annotation again: a process that took over another's
 * unfinished creation looks for it before creating a second.
 */
export function deploymentTag(id: string): string {
  return `deployment:${id}`;
}

export interface AnnotationContext {
  config: Config;
  /** The requester as people know them (the config's name, or the one chat gave). */
  requesterName: string | null;
  /** SLIPWAY_PUBLIC_URL: the annotation links the deployment's page there. */
  publicUrl: string | undefined;
}

/**
 * The annotation a deployment should have now: a region from its start, to its end once it
 * has one, tagged so that a dashboard can pick a service, an environment, a version or an
 * outcome; its text says what, who and how it went, with a link to its page.
 */
export function annotationOf(d: Deployment, ctx: AnnotationContext): AnnotationBody {
  if (!d.startedAt) throw new Error(`deployment ${d.id} has not started: it has no annotation`);
  const outcome = outcomeOf(d);
  const end = outcome ? (d.finishedAt ?? d.updatedAt) : null;
  const options = { ...ctx.config.grafana, ...findService(ctx.config, d.service)?.grafana };
  return {
    time: d.startedAt.getTime(),
    ...(end ? { timeEnd: Math.max(end.getTime(), d.startedAt.getTime()) } : {}),
    tags: tagsOf(d, outcome),
    text: textOf(d, ctx, outcome),
    ...(options.dashboardUID ? { dashboardUID: options.dashboardUID } : {}),
    ...(options.dashboardUID && options.panelId ? { panelId: options.panelId } : {}),
  };
}

function tagsOf(d: Deployment, outcome: Outcome | null): string[] {
  return [
    SLIPWAY_TAG,
    `service:${d.service}`,
    `environment:${d.environment}`,
    `version:${d.version}`,
    deploymentTag(d.id),
    ...(d.kind === 'rollback' ? ['rollback'] : []),
    ...(outcome ? [`outcome:${outcome}`] : []),
  ];
}

/**
 * Grafana shows the text in the annotation's tooltip as sanitized HTML, with line breaks kept:
 * what people typed is escaped, and the link is the one tag Slipway writes.
 */
function textOf(d: Deployment, ctx: AnnotationContext, outcome: Outcome | null): string {
  const what =
    d.kind === 'rollback'
      ? `Rollback of ${d.service} to ${d.version} in ${d.environment}`
      : `Deploy of ${d.service} ${d.version} to ${d.environment}`;
  const who = ctx.requesterName ? `${ctx.requesterName} (${d.requestedBy})` : d.requestedBy;
  const lines = [escapeHtml(`${what}, asked by ${who} from ${d.source}.`)];
  if (d.previousVersion && d.previousVersion !== d.version)
    lines.push(escapeHtml(`Replacing ${d.previousVersion}.`));
  if (d.reason) lines.push(escapeHtml(`Reason: ${firstLine(d.reason)}`));
  if (outcome) lines.push(escapeHtml(endLine(d, outcome)));
  const page = ctx.publicUrl
    ? `${ctx.publicUrl.replace(/\/+$/, '')}/deployments/${encodeURIComponent(d.id)}`
    : null;
  lines.push(page ? `<a href="${escapeHtml(page)}">${escapeHtml(d.id)} in Slipway</a>` : d.id);
  return lines.join('\n');
}

function endLine(d: Deployment, outcome: Outcome): string {
  const took =
    d.startedAt && d.finishedAt
      ? ` after ${formatDuration(d.finishedAt.getTime() - d.startedAt.getTime())}`
      : '';
  const said = d.outcome ? `: ${firstLine(d.outcome)}` : '';
  const words: Record<Outcome, string> = {
    succeeded: 'Succeeded',
    failed: 'Failed',
    rolled_back: 'Rolled back',
    cancelled: 'Cancelled',
  };
  return `${words[outcome]}${took}${said}`;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
