import type { MessageView } from '../../chat/types.js';
import { rollbackAction, stateLabel } from '../../chat/views/index.js';
import { code, escapeText, firstLine, link, mention, plural, when } from '../../chat/views/text.js';
import type { Deployment } from '../../core/deployment.js';
import { firing, firstStart, isResolved, lastEnd } from './group.js';
import type { Subject } from './match.js';
import type { GroupState, StoredAlert } from './schema.js';

/** Who Slipway's automatic rollbacks on alerts are requested by (give it the right to roll back). */
export const ALERT_ACTOR = 'alertmanager';

export interface AlertViewInput {
  state: GroupState;
  subject: Subject;
  /** The recent deployment the alerts were tied to. */
  deployment: Deployment | null;
  /** The rollback of that deployment, once someone (or Slipway) asked for it. */
  rollback: Deployment | null;
}

/** Alert lines shown in the message; the rest are counted. */
const SHOWN_ALERTS = 10;

/**
 * The one message of an Alertmanager group: what fires (or fired), about which service, the
 * recent deployment it may be about with a Roll back button while it fires, and links back to
 * Alertmanager. Everything from the alerts is escaped: labels and annotations are typed by people.
 */
export function alertGroupView(input: AlertViewInput): MessageView {
  const { state } = input;
  const resolved = isResolved(state);
  const view: MessageView = {
    title: titleOf(input, resolved),
    tone: resolved ? 'success' : 'failure',
    body: [...deploymentLines(input, resolved), ...alertLines(state)].join('\n'),
    fields: fieldsOf(input),
    context: contextOf(state, resolved),
  };
  const offer = !resolved && !input.rollback && input.deployment;
  const action = offer ? rollbackAction(input.deployment as Deployment) : null;
  if (action) view.actions = [action];
  const links = linksOf(state);
  if (links.length > 0) view.links = links;
  return view;
}

function titleOf({ state, subject }: AlertViewInput, resolved: boolean): string {
  const shown = resolved ? state.alerts : firing(state);
  const names = [...new Set(shown.map((a) => a.labels.alertname ?? 'alert'))];
  const what =
    names.length > 3
      ? `${names.slice(0, 3).join(', ')} +${names.length - 3} more`
      : names.join(', ');
  const where = [
    subject.named.length > 0 ? subject.named.join(', ') : null,
    subject.environment ? `in ${subject.environment}` : null,
  ]
    .filter((part) => part !== null)
    .join(' ');
  return escapeText(`${resolved ? 'Resolved' : 'Firing'}: ${what}${where ? ` · ${where}` : ''}`);
}

/** "web 1.4.2 was deployed to production by @alice 12 min before this alert fired", and after. */
function deploymentLines(input: AlertViewInput, resolved: boolean): string[] {
  const d = input.deployment;
  if (!d?.finishedAt) return [];
  const lines = [deployedLine(d, firstStart(input.state))];
  const r = input.rollback;
  const auto = input.state.autoRollback;
  if (r) lines.push(rollbackLine(r));
  else if (auto?.refused) {
    lines.push(`Slipway did not roll it back automatically: ${escapeText(auto.refused)}`);
  }
  if (!r && !resolved && d.previousVersion) {
    lines.push(`If it caused this, roll back to ${escapeText(d.previousVersion)}.`);
  }
  return lines;
}

function deployedLine(d: Deployment, started: Date | null): string {
  const what = `*${escapeText(`${d.service} ${d.version}`)}* was deployed to ${escapeText(d.environment)} by ${mention(d.requestedBy)}`;
  const live = (d.finishedAt as Date).getTime();
  if (!started) return `${what}.`;
  const gap = started.getTime() - live;
  if (gap >= 0) return `${what} ${roughly(gap)} before this alert fired.`;
  return `${what}; it was still rolling out when this alert fired (${roughly(-gap)} before it finished).`;
}

function rollbackLine(r: Deployment): string {
  const to = escapeText(r.version);
  const where = code(r.id);
  const state =
    r.state === 'succeeded' ? 'done' : r.state === 'running' ? 'rolling back' : stateLabel(r.state);
  if (r.requestedBy === ALERT_ACTOR) {
    return `Slipway is rolling it back to ${to} on its own (\`alerts.autoRollback\`): ${state} (${where}).`;
  }
  return `${mention(r.requestedBy)} asked to roll it back to ${to}: ${state} (${where}).`;
}

function alertLines(state: GroupState): string[] {
  const common = state.commonLabels;
  const lines = state.alerts.slice(0, SHOWN_ALERTS).map((a) => alertLine(a, common));
  const hidden = state.alerts.length - lines.length;
  if (hidden > 0) {
    const hiddenFiring = firing(state).length - Math.min(firing(state).length, SHOWN_ALERTS);
    lines.push(`…and ${plural(hidden, 'more alert')} (${hiddenFiring} firing).`);
  }
  if (state.dropped > 0) lines.push(`${plural(state.dropped, 'older resolved alert')} not shown.`);
  if (state.truncatedAlerts > 0) {
    lines.push(
      `Alertmanager left out ${plural(state.truncatedAlerts, 'more alert')} (its \`max_alerts\`).`,
    );
  }
  return lines;
}

function alertLine(a: StoredAlert, common: Record<string, string>): string {
  const name = `*${escapeText(a.labels.alertname ?? 'alert')}*`;
  const status = a.status === 'firing' ? '🔥 firing' : '✅ resolved';
  const own = Object.entries(a.labels)
    .filter(([key, value]) => key !== 'alertname' && common[key] !== value)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const said = a.annotations.summary ?? a.annotations.description ?? a.annotations.message;
  const value = a.annotations.value;
  const parts = [
    `• ${status} ${name}`,
    own ? code(firstLine(own, 120)) : null,
    said ? `— ${escapeText(firstLine(said, 240))}` : null,
    value ? `(value: ${escapeText(firstLine(value, 60))})` : null,
    isWebUrl(a.generatorURL) ? link(a.generatorURL.replace(/\|/g, '%7C'), 'source') : null,
  ];
  return parts.filter((p) => p !== null).join(' ');
}

function fieldsOf({ state, subject }: AlertViewInput): { label: string; value: string }[] {
  const fields = [
    { label: 'Service', value: escapeText(subject.named.join(', ') || 'not named') },
    {
      label: 'Environment',
      value: escapeText(subject.environments.join(', ') || 'not named (any)'),
    },
  ];
  const severity = state.commonLabels.severity;
  if (severity) fields.push({ label: 'Severity', value: escapeText(severity) });
  const count = firing(state).length;
  const done = state.alerts.length - count;
  fields.push({
    label: 'Alerts',
    value: [count > 0 ? `${count} firing` : null, done > 0 ? `${done} resolved` : null]
      .filter((part) => part !== null)
      .join(', '),
  });
  return fields;
}

function contextOf(state: GroupState, resolved: boolean): string[] {
  const context = [`Alertmanager receiver ${code(state.receiver)}`];
  const started = firstStart(state);
  if (started) context.push(`${resolved ? 'fired' : 'firing since'} ${when(started)}`);
  const ended = resolved ? lastEnd(state) : null;
  if (ended) context.push(`resolved ${when(ended)}`);
  const description = state.alerts.find((a) => a.annotations.description)?.annotations.description;
  if (description && state.alerts.every((a) => a.annotations.description === description)) {
    context.push(escapeText(firstLine(description, 300)));
  }
  return context;
}

/** Alertmanager's page of the group, and a silence prefilled with the group's common labels. */
function linksOf(state: GroupState): { label: string; url: string }[] {
  const base = state.externalURL.replace(/\/+$/, '');
  if (!isWebUrl(base)) return [];
  const matchers = (labels: Record<string, string>) =>
    `{${Object.entries(labels)
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
      .join(', ')}}`;
  const receiver = encodeURIComponent(state.receiver);
  return [
    {
      label: 'Alertmanager',
      url: `${base}/#/alerts?receiver=${receiver}&filter=${encodeURIComponent(matchers(state.groupLabels))}`,
    },
    {
      label: 'Silence',
      url: `${base}/#/silences/new?filter=${encodeURIComponent(matchers(state.commonLabels))}`,
    },
  ];
}

function isWebUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

/** "12 min", "1 h 5 min", "40 s": how far apart two moments are, as people say it. */
export function roughly(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest > 0 ? `${hours} h ${rest} min` : `${hours} h`;
}
