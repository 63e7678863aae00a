import type {
  Approval,
  BuildRef,
  Deployment,
  DeploymentState,
  Transition,
} from '../../core/deployment.js';
import { formatDuration } from '../../core/duration.js';
import { canaryProgressOf, verifyProgressOf } from '../../engine/index.js';
import type { MessageView, ViewAction, ViewTone } from '../types.js';
import { code, escapeText, firstLine, mention, plural, when } from './text.js';

export interface DeploymentViewOptions {
  /** The audit trail: the latest one says who moved the deployment last, and when. */
  transitions?: readonly Transition[];
  approvals?: readonly Approval[];
  /** The deployment holding the target while this one waits in the queue. */
  queuedBehind?: Deployment | null;
  links?: { label: string; url: string }[];
}

const TONES: Record<DeploymentState, ViewTone> = {
  requested: 'waiting',
  awaiting_approval: 'waiting',
  queued: 'waiting',
  running: 'progress',
  verifying: 'progress',
  rolling_back: 'progress',
  succeeded: 'success',
  failed: 'failure',
  rolled_back: 'warning',
  cancelled: 'neutral',
  superseded: 'neutral',
};

const LABELS: Record<DeploymentState, string> = {
  requested: 'requested',
  awaiting_approval: 'waiting for approval',
  queued: 'queued',
  running: 'deploying',
  verifying: 'verifying',
  succeeded: 'deployed',
  failed: 'failed',
  rolling_back: 'rolling back',
  rolled_back: 'rolled back',
  cancelled: 'cancelled',
  superseded: 'superseded',
};

export function toneOf(state: DeploymentState): ViewTone {
  return TONES[state];
}

/** The state as people say it: "deploying", "waiting for approval". */
export function stateLabel(state: DeploymentState): string {
  return LABELS[state];
}

/** "web 1.4.2 → staging: deploying"; a rollback says so. */
export function deploymentTitle(d: Deployment): string {
  const label = d.kind === 'rollback' && d.state === 'running' ? 'rolling back' : LABELS[d.state];
  const what =
    d.kind === 'rollback'
      ? `${d.service} rollback to ${d.version} in ${d.environment}`
      : `${d.service} ${d.version} → ${d.environment}`;
  return `${escapeText(what)}: ${label}`;
}

/**
 * The one message of a deployment, as it stands now. Updated in place through its life; the
 * buttons carry only the deployment id (the state lives in the store).
 */
export function deploymentView(d: Deployment, options: DeploymentViewOptions = {}): MessageView {
  const view: MessageView = {
    title: deploymentTitle(d),
    tone: toneOf(d.state),
    body: bodyOf(d, options),
    fields: fieldsOf(d, options.approvals ?? []),
    context: contextOf(d, options.transitions ?? []),
  };
  const actions = actionsOf(d);
  if (actions.length > 0) view.actions = actions;
  const links = [...driverLinks(d), ...(options.links ?? [])];
  if (links.length > 0) view.links = links;
  return view;
}

/** What the driver reported: where the version can be tried, and its page about the work. */
function driverLinks(d: Deployment): { label: string; url: string }[] {
  const ref = (d.driverRef ?? {}) as { url?: unknown; link?: { label?: unknown; url?: unknown } };
  const links: { label: string; url: string }[] = [];
  if (typeof ref.url === 'string') links.push({ label: `Open ${d.environment}`, url: ref.url });
  if (typeof ref.link?.url === 'string' && typeof ref.link.label === 'string')
    links.push({ label: ref.link.label, url: ref.link.url });
  return links.filter((l) => /^https?:\/\//.test(l.url));
}

function bodyOf(d: Deployment, options: DeploymentViewOptions): string {
  const lines = [stateLine(d, options), ...deliveryLines(d)];
  // What the driver left people to know about the target (an application left pinned).
  const note = (d.driverRef as { note?: unknown } | null)?.note;
  if (typeof note === 'string' && note !== '') lines.push(`ℹ️ ${escapeText(firstLine(note))}`);
  if (d.freezeOverride) lines.push('Deployed during a freeze window (`deploy!`).');
  if (d.reason) lines.push(`Reason: ${escapeText(d.reason)}`);
  return lines.join('\n');
}

function stateLine(d: Deployment, options: DeploymentViewOptions): string {
  switch (d.state) {
    case 'requested':
      return `Requested by ${mention(d.requestedBy)}.`;
    case 'awaiting_approval': {
      const approvers = (options.approvals ?? []).filter((a) => a.verdict === 'approve');
      const by =
        approvers.length > 0
          ? ` Approved so far by ${approvers.map((a) => mention(a.approver)).join(', ')}.`
          : '';
      const remaining = Math.max(0, d.approvalsRequired - approvers.length);
      return `Waiting for ${plural(remaining, 'more approval', 'more approvals')} before it can run.${by}`;
    }
    case 'queued': {
      const ahead = options.queuedBehind;
      if (!ahead) return 'Queued: starts as soon as the target is free.';
      return `Queued behind ${code(ahead.id)} (${escapeText(ahead.version)}, by ${mention(ahead.requestedBy)}).`;
    }
    case 'running':
    case 'verifying':
    case 'rolling_back': {
      const progress = d.progress ? escapeText(firstLine(d.progress)) : null;
      if (d.state === 'rolling_back') {
        const why = d.outcome
          ? `Rolling back after: ${escapeText(firstLine(d.outcome))}`
          : 'Rolling back.';
        return progress ? `${why}\n${progress}` : why;
      }
      return progress ?? (d.state === 'running' ? 'Starting…' : 'Checking that it is healthy…');
    }
    default: {
      if (!d.outcome) return `${LABELS[d.state][0]?.toUpperCase()}${LABELS[d.state].slice(1)}.`;
      const shown = firstLine(d.outcome);
      const more = shown !== d.outcome ? ' (details in the thread)' : '';
      return `${escapeText(shown)}${more}`;
    }
  }
}

/** Where a canary stands (or a verification by metrics), and what its last check measured. */
function deliveryLines(d: Deployment): string[] {
  if (d.state !== 'running' && d.state !== 'verifying') return [];
  const canary = d.state === 'running' ? canaryProgressOf(d) : null;
  const verify = d.state === 'verifying' ? verifyProgressOf(d) : null;
  const last = canary?.last ?? verify?.last ?? null;
  const lines: string[] = [];
  if (canary) {
    const where = canary.promoting
      ? `*Canary:* promoting ${escapeText(d.version)} to all of ${escapeText(d.service)}`
      : `*Canary:* ${canary.weight}% of traffic · step ${Math.min(canary.step + 1, canary.steps)} of ${canary.steps}`;
    lines.push(`${where}${nextAt(canary.nextAt)}`);
    if (canary.paused)
      lines.push(
        canary.paused.asked
          ? `⏸ Paused: ${escapeText(canary.paused.reason)}. Promote it or abort it.`
          : `⏸ Paused by ${mention(canary.paused.by)}; Resume goes on from here.`,
      );
  } else if (verify) {
    lines.push(`*Checking its metrics*${nextAt(verify.nextAt)}`);
    if (verify.asked)
      lines.push(
        `⏸ No verdict: ${escapeText(verify.asked)}. Promote keeps it, Abort rolls it back.`,
      );
  }
  for (const metric of last?.metrics ?? []) {
    const value = metric.value === null ? 'no data' : String(Number(metric.value.toPrecision(3)));
    lines.push(
      `${VERDICT_MARKS[metric.verdict] ?? '•'} ${escapeText(metric.name)} ${value} (${escapeText(metric.threshold)})`,
    );
  }
  if (last && last.metrics.length === 0) lines.push(`• ${escapeText(last.message)}`);
  return lines;
}

const VERDICT_MARKS: Record<string, string> = {
  pass: '✅',
  fail: '❌',
  inconclusive: '⏳',
  error: '⚠️',
};

function nextAt(at: string | null): string {
  return at ? ` · next check ${when(new Date(at))}` : '';
}

function fieldsOf(
  d: Deployment,
  approvals: readonly Approval[],
): { label: string; value: string }[] {
  const fields = [
    { label: 'Service', value: escapeText(d.service) },
    { label: 'Version', value: escapeText(d.version) },
    { label: 'Environment', value: escapeText(d.environment) },
    { label: 'Requested by', value: mention(d.requestedBy) },
  ];
  // Which change this is, in the words the team uses for it (previews are named after it).
  if (d.ref) fields.push({ label: refLabel(d.ref), value: code(d.ref.name) });
  if (d.previousVersion)
    fields.push({ label: 'Previous version', value: escapeText(d.previousVersion) });
  if (d.approvalsRequired > 0) {
    const approved = approvals.filter((a) => a.verdict === 'approve').length;
    fields.push({ label: 'Approvals', value: `${approved} of ${d.approvalsRequired}` });
  }
  return fields;
}

function contextOf(d: Deployment, transitions: readonly Transition[]): string[] {
  const context = [code(d.id), `correlation ${code(d.correlationId)}`];
  const last = transitions.at(-1);
  const at = last?.at ?? d.updatedAt;
  const by = last && last.actor !== 'slipway' ? ` by ${mention(last.actor)}` : '';
  context.push(`${LABELS[d.state]} ${when(at)}${by}`);
  if (d.startedAt && d.finishedAt) {
    context.push(`took ${formatDuration(d.finishedAt.getTime() - d.startedAt.getTime())}`);
  }
  return context;
}

function actionsOf(d: Deployment): ViewAction[] {
  const cancel: ViewAction = { id: 'cancel', label: 'Cancel', value: d.id };
  switch (d.state) {
    case 'awaiting_approval':
      return [
        { id: 'approve', label: 'Approve', value: d.id, style: 'primary' },
        { id: 'reject', label: 'Reject', value: d.id, style: 'danger' },
        cancel,
      ];
    case 'requested':
    case 'queued':
      return [cancel];
    case 'running':
    case 'verifying':
      // A running rollback is not stopped halfway (the engine refuses it), so no button.
      if (d.kind === 'rollback') return [];
      return [...steeringActions(d), stopAction(d)];
    case 'succeeded': {
      const rollback = rollbackAction(d);
      return rollback ? [rollback] : [];
    }
    case 'failed':
    case 'rolled_back':
      return [{ id: 'retry', label: 'Retry', value: d.id }];
    default:
      return [];
  }
}

/**
 * A canary waiting at a step: Promote now, and Pause or Resume; a verification that could not
 * decide: Promote (keep it). The Cancel beside them is the abort.
 */
function steeringActions(d: Deployment): ViewAction[] {
  const canary = d.state === 'running' ? canaryProgressOf(d) : null;
  const verify = d.state === 'verifying' ? verifyProgressOf(d) : null;
  const promote = (text: string): ViewAction => ({
    id: 'canary_promote',
    label: 'Promote now',
    value: d.id,
    style: 'primary',
    confirm: {
      title: `Promote ${d.service} ${d.version}?`,
      text,
      confirm: 'Promote',
      deny: 'Not yet',
    },
  });
  if (canary && !canary.promoting) {
    return [
      promote(
        `This skips the remaining steps and their checks: ${d.version} takes all of ${d.environment}.`,
      ),
      canary.paused
        ? { id: 'canary_resume', label: 'Resume', value: d.id }
        : { id: 'canary_pause', label: 'Pause', value: d.id },
    ];
  }
  if (verify?.asked)
    return [
      promote(`This keeps ${d.version} in ${d.environment} without a verdict from its metrics.`),
    ];
  return [];
}

/** Cancel while the driver works: it stops and rolls back, so the button asks first. */
function stopAction(d: Deployment): ViewAction {
  const canary = d.state === 'running' ? canaryProgressOf(d) : null;
  if (canary && !canary.promoting) {
    const stays = d.previousVersion ? `${d.previousVersion} keeps` : 'the live version keeps';
    return {
      id: 'cancel',
      label: 'Abort',
      value: d.id,
      style: 'danger',
      confirm: {
        title: `Abort the canary of ${d.service} ${d.version}?`,
        text: `Its traffic goes back to the live version and the canary is removed; ${stays} serving ${d.environment}.`,
        confirm: 'Abort',
        deny: 'Let it go on',
      },
    };
  }
  const back = d.previousVersion
    ? `rolls ${d.environment} back to ${d.previousVersion}`
    : `rolls ${d.environment} back`;
  return {
    id: 'cancel',
    label: 'Cancel',
    value: d.id,
    style: 'danger',
    confirm: {
      title: `Cancel ${d.service} ${d.version}?`,
      text: `This stops the deployment to ${d.environment} and ${back}.`,
      confirm: 'Stop and roll back',
      deny: 'Let it finish',
    },
  };
}

/**
 * "Roll back" for a deployment that went live, on its own message and on an alert's about it: the
 * same action and value, so the handler starts one rollback whichever is clicked. None without
 * a version to go back to.
 */
export function rollbackAction(d: Deployment): ViewAction | null {
  if (!d.previousVersion) return null;
  return {
    id: 'rollback',
    label: 'Roll back',
    value: d.id,
    style: 'danger',
    confirm: {
      title: `Roll back ${d.service} in ${d.environment}?`,
      text: `This deploys ${d.previousVersion} to ${d.environment} again, replacing ${d.version}.`,
      confirm: 'Roll back',
      deny: `Keep ${d.version}`,
    },
  };
}

/** "Branch" or "Tag", for the ref a build came from. */
export function refLabel(ref: BuildRef): string {
  return ref.type === 'tag' ? 'Tag' : 'Branch';
}

/**
 * In the card's thread when an analysis cannot decide (too little traffic, no data): the
 * question, with the answers. Promote goes on (a canary: to the end; a verification: keeps the
 * release); Abort is the card's cancel.
 */
export function deliveryQuestionView(d: Deployment): MessageView | null {
  const canary = d.state === 'running' ? canaryProgressOf(d) : null;
  const verify = d.state === 'verifying' ? verifyProgressOf(d) : null;
  const why = canary?.paused?.asked ? canary.paused.reason : verify?.asked;
  if (!why) return null;
  const what = escapeText(`${d.service} ${d.version}`);
  const body = canary
    ? `The canary waits at ${canary.weight}% of traffic. Promote now sends it all of ${escapeText(d.environment)}; Resume checks again; Abort removes it.`
    : `Its metrics gave no verdict after the rollout. Promote keeps it; Abort rolls ${escapeText(d.environment)} back.`;
  return {
    title: `❓ ${what}: ${escapeText(why)}`,
    tone: 'waiting',
    body,
    actions: [...steeringActions(d), stopAction(d)],
  };
}
