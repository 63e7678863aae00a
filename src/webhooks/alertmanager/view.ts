import type { MessageView, ViewAction } from '../../chat/types.js';
import { rollbackAction, stateLabel } from '../../chat/views/index.js';
import { code, escapeText, firstLine, link, mention, plural, when } from '../../chat/views/text.js';
import type { Deployment } from '../../core/deployment.js';
import { firing, firstStart, isResolved, lastEnd } from './group.js';
import type { CanaryTie, Subject } from './match.js';
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
  /** Where that deployment's canary stands, when it is released as one. */
  canary?: CanaryTie | null;
  /** The config's links (a dashboard, logs) over the time the alerts fired. */
  links?: { label: string; url: string }[];
}

/** Alert lines shown in the message; the rest are counted. */
const SHOWN_ALERTS = 10;

/**
 * The one message of an Alertmanager group: what fires (or fired), about which service, the
 * deployment it may be about with a Roll back button while it fires (Abort canary while that
 * deployment is a canary taking part of the traffic), and links back to Alertmanager. Everything from the alerts is escaped: labels and annotations are typed by people.
 */
export function alertGroupView(input: AlertViewInput): MessageView {
  const { state } = input;
  const resolved = isResolved(state);
  const view: MessageView = {
    title: titleOf(input, resolved),
    tone: resolved ? 'success' : 'failure',
    body: [...tieLines(input, resolved), ...alertLines(state)].join('\n'),
    fields: fieldsOf(input),
    context: contextOf(state, resolved),
  };
  const action = resolved ? null : offerOf(input);
  if (action) view.actions = [action];
  const links = [...linksOf(state), ...(input.links ?? [])];
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

/** The button while the alerts fire: abort a walking canary, else roll back what went live. */
function offerOf({ deployment: d, canary, rollback }: AlertViewInput): ViewAction | null {
  if (!d) return null;
  if (canary && !canary.promoting) return d.state === 'running' ? abortCanaryAction(d) : null;
  // A canary being promoted is not live yet: Roll back once it is.
  return d.state === 'succeeded' && !rollback ? rollbackAction(d) : null;
}

/**
 * "Abort canary": the Cancel of the canary's own card (action `cancel`, value the deployment),
 * so the handler asks the engine and policy as for that card, and one abort happens whichever
 * is clicked.
 */
function abortCanaryAction(d: Deployment): ViewAction {
  const back = d.previousVersion ?? 'the live version';
  return {
    id: 'cancel',
    label: 'Abort canary',
    value: d.id,
    style: 'danger',
    confirm: {
      title: `Abort the canary of ${d.service} ${d.version}?`,
      text: `Its traffic goes back to ${back} and the canary is removed; ${back} keeps serving ${d.environment}.`,
      confirm: 'Abort',
      deny: 'Let it go on',
    },
  };
}

function tieLines(input: AlertViewInput, resolved: boolean): string[] {
  const { deployment: d, canary } = input;
  // Once promoted, a canary's release reads as any deploy's.
  const promoted = canary?.promoting && d?.state !== 'running' && d?.state !== 'verifying';
  if (d && canary && !promoted) return canaryLines(d, canary, input.state, resolved);
  return deploymentLines(input, resolved);
}

/**
 * "web 1.4.2 is in canary at 25% in production", with what an abort does; then that it is
 * being promoted, or how its abort went.
 */
function canaryLines(
  d: Deployment,
  canary: CanaryTie,
  state: GroupState,
  resolved: boolean,
): string[] {
  const what = `*${escapeText(`${d.service} ${d.version}`)}*`;
  const where = escapeText(d.environment);
  const live = d.previousVersion ? escapeText(d.previousVersion) : 'the live version';
  const ref = code(d.id);
  if (canary.promoting) {
    return [`${what} passed its canary and is being promoted to all of ${where} (${ref}).`];
  }
  const auto = state.autoRollback;
  if (d.state !== 'running') {
    const how =
      d.state === 'rolled_back'
        ? `removed, ${live} kept serving`
        : d.state === 'rolling_back'
          ? 'removing it'
          : stateLabel(d.state);
    return auto?.deploymentId === d.id
      ? [
          `Slipway aborted the canary of ${what} on its own (\`alerts.autoRollback\`): ${how} (${ref}).`,
        ]
      : [`The canary of ${what} was aborted: ${how} (${ref}).`];
  }
  const paused = canary.paused ? ', paused' : '';
  const lines = [
    `${what} is in canary at ${canary.weight}% in ${where}${paused}, requested by ${mention(d.requestedBy)} (${ref}).`,
  ];
  if (auto?.refused) {
    lines.push(`Slipway did not abort it automatically: ${escapeText(auto.refused)}`);
  }
  if (!resolved) {
    lines.push(`If it caused this, abort the canary: its traffic goes back to ${live}.`);
  }
  return lines;
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
