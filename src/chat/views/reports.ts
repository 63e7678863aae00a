import type { Deployment } from '../../core/deployment.js';
import type { TargetStatus } from '../../engine/queries.js';
import type { MessageView } from '../types.js';
import { stateLabel } from './deployment.js';
import { code, escapeText, mention, plural, when } from './text.js';

/** `status [<service>]`: what is live where, what is moving, what is locked. */
export function statusView(
  targets: readonly TargetStatus[],
  service: string | null = null,
): MessageView {
  const lines = targets.map(statusLine);
  return {
    title: service ? `Status of ${escapeText(service)}` : 'Status',
    tone: 'neutral',
    body: lines.length > 0 ? lines.join('\n') : 'Nothing is set up to deploy here.',
  };
}

function statusLine(t: TargetStatus): string {
  const parts = [t.live ? `${escapeText(t.live.version)} live` : 'nothing deployed yet'];
  if (t.active) {
    parts.push(
      `${stateLabel(t.active.state)} ${escapeText(t.active.version)} (${code(t.active.id)})`,
    );
  }
  if (t.pending.length > 0) parts.push(`${plural(t.pending.length, 'request')} waiting`);
  for (const lock of t.locks) {
    parts.push(
      `🔒 locked by ${mention(lock.owner)}${lock.reason ? ` (${escapeText(lock.reason)})` : ''}`,
    );
  }
  return `*${escapeText(t.service)}* in *${escapeText(t.environment)}*: ${parts.join(' · ')}`;
}

/** `history <service> [in <env>]`: the latest deployments, newest first. */
export function historyView(
  deployments: readonly Deployment[],
  filter: { service?: string; environment?: string | null } = {},
): MessageView {
  const where = filter.environment ? ` in ${filter.environment}` : '';
  const lines = deployments.map(
    (d) =>
      `${code(d.id)} ${d.kind === 'rollback' ? 'rollback to ' : ''}${escapeText(d.version)} → ${escapeText(d.environment)}: ${stateLabel(d.state)}, by ${mention(d.requestedBy)}, ${when(d.createdAt)}`,
  );
  return {
    title: filter.service ? `History of ${escapeText(filter.service + where)}` : 'History',
    tone: 'neutral',
    body: lines.length > 0 ? lines.join('\n') : 'No deployments yet.',
  };
}
