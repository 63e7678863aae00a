import { context, SpanKind, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { formatCommand } from '../commands/format.js';
import { parseCommand, parseSlashDeploy } from '../commands/parse.js';
import type { Command } from '../commands/types.js';
import { usageFor } from '../commands/usage.js';
import { findEnvironment, findService } from '../config/index.js';
import type { Config } from '../config/schema.js';
import type { Deployment } from '../core/deployment.js';
import { WithdrawnError } from '../core/errors.js';
import { type CommandResult, executeCommand } from '../engine/execute.js';
import type { Engine } from '../engine/index.js';
import {
  handleReviewAction,
  handleReviewSubmission,
  isReviewAction,
} from '../features/review/handler.js';
import {
  deploymentAttributes,
  deploymentContext,
  inSpan,
  withDeployment,
} from '../observability/spans.js';
import { mayOverrideFreeze } from '../policy/index.js';
import type { RecordGate } from '../store/types.js';
import { isDirectChannel, platformOf } from './identity.js';
import { announce, answerPrivately, replaceAnswer } from './replies.js';
import type {
  ChatClient,
  ChatLimits,
  FormAnswer,
  InboundEvent,
  MessageView,
  ViewAction,
} from './types.js';
import {
  cancelledRequestView,
  decodeConfirmed,
  dismissedView,
  encodeConfirmed,
  surpriseView,
} from './views/confirm.js';
import {
  acceptedView,
  historyView,
  lockView,
  refusalView,
  statusView,
  usageView,
} from './views/index.js';
import { code, escapeText, mention } from './views/text.js';

export interface HandlerDeps {
  engine: Engine;
  chat: ChatClient;
  config: Config;
  log: Logger;
  /** Called when what is left is only the answer's chat call (handling-queue.ts). */
  release?: () => void;
  /** For a command that records a deployment: lets admission take it back until then (inbound.ts). */
  recordGate?: () => RecordGate;
  /** A submitted form's answer while the person waits (the transport's, for submissions). */
  form?: FormAnswer;
}

type CommandEvent = Extract<InboundEvent, { kind: 'command' }>;
type ActionEvent = Extract<InboundEvent, { kind: 'action' }>;

/**
 * What a person did in chat, acted on through the engine (and so through policy) and answered:
 * refusals, help and queries only to them; accepted changes to the channel, with who asked. The
 * deployment's own message comes from the notifier. The transport has acknowledged already.
 */
export async function handleInbound(event: InboundEvent, deps: HandlerDeps): Promise<void> {
  // Made when first needed: most commands log nothing, and a pino child costs a serialization.
  let child: Logger | undefined;
  const log = () =>
    (child ??= deps.log.child({
      component: 'chat-handler',
      user: event.user,
      delivery: event.deliveryId,
    }));
  // A trace starts here for each command: a deployment's trace is the command's. A click on a
  // deployment's button (approve, reject, cancel, roll back, a review's), or a form it opened,
  // joins that trace, so the deployment's whole story, people's decisions included, is one trace.
  const attributes = {
    'enduser.id': event.user,
    'slipway.chat.channel': event.channel,
    'slipway.chat.delivery_id': event.deliveryId,
    ...(event.kind === 'command'
      ? { 'slipway.chat.mode': event.mode }
      : { 'slipway.chat.action': event.actionId }),
  };
  try {
    const clicked = event.kind !== 'command' ? await deps.engine.get(event.value) : null;
    const parent = clicked ? deploymentContext(clicked) : undefined;
    await inSpan(`chat.${event.kind}`, { kind: SpanKind.CONSUMER, attributes, parent }, () => {
      if (event.kind === 'command') return handleCommand(event, deps);
      if (event.kind === 'action') return handleAction(event, deps, log);
      // The one form Slipway opens is a review's rejection reason.
      return handleReviewSubmission(event, deps);
    });
  } catch (err) {
    // Taken back unrecorded: its acknowledgement has told the person (busy, send it again).
    if (err instanceof WithdrawnError) {
      log().info('withdrew a chat command whose record could not be written in time');
      return;
    }
    log().error({ err, kind: event.kind }, 'chat request failed');
    const view = refusalView(
      'Slipway could not finish this because of an internal error. Check "status" before trying again.',
    );
    await answerPrivately(event, view, deps).catch((answerErr: unknown) =>
      log().error({ err: answerErr }, 'could not tell the user about the failure'),
    );
  }
}

async function handleCommand(e: CommandEvent, deps: HandlerDeps): Promise<void> {
  const grammar = grammarOf(deps.config);
  const parsed =
    e.mode === 'slash' ? parseSlashDeploy(e.text, grammar) : parseCommand(e.text, grammar);
  if (!parsed.ok) {
    deps.release?.();
    return answerPrivately(e, refusalView(parsed.error, parsed.suggestion, parsed.usage), deps);
  }
  // A deploy or rollback can be taken back until it is recorded; once it waits for its record's
  // transaction, what is left is the answer, and the slot goes to the next command, which then
  // shares that transaction.
  const records = parsed.command.kind === 'deploy' || parsed.command.kind === 'rollback';
  const gate = records ? deps.recordGate?.() : undefined;
  const caller = {
    actor: e.user,
    source: 'chat' as const,
    channel: e.channel,
    idempotencyKey: e.deliveryId,
    ...(gate ? { gate } : {}),
  };
  let result = await executeCommand(deps.engine, parsed.command, { ...caller, askFirst: true });
  const question = questionFor(parsed.command, result, e.deliveryId, deps.chat.limits);
  if (question === TOO_LONG_TO_ASK) {
    result = await executeCommand(deps.engine, parsed.command, caller);
  } else if (question) {
    deps.release?.();
    return answerPrivately(e, question, deps);
  }
  trace.getActiveSpan()?.setAttribute('slipway.command', parsed.command.kind);
  let scope = context.active();
  let announced: string | undefined;
  if ((result.kind === 'deploy' || result.kind === 'rollback') && result.result.ok) {
    const d = result.result.deployment;
    announced = d.id;
    trace.getActiveSpan()?.setAttributes(deploymentAttributes(d));
    // The answer's chat call is tagged with the deployment it announces.
    scope = withDeployment(scope, d);
  }
  const answer = await answerFor(parsed.command, result, e, deps);
  deps.release?.();
  if (!answer) return;
  await context.with(scope, () =>
    answer.public
      ? announce(e, answer.view, deps, announced)
      : answerPrivately(e, answer.view, deps),
  );
}

type Answer = { view: MessageView; public: boolean } | null;

const TOO_LONG_TO_ASK = Symbol('too long to ask');

/**
 * The question for an allowed deploy or rollback the person probably did not mean (the engine
 * answered `unconfirmed`), or null when the request was decided. The buttons carry the command
 * back, keyed by this delivery.
 */
function questionFor(
  command: Command,
  result: CommandResult,
  deliveryId: string,
  limits: ChatLimits,
): MessageView | typeof TOO_LONG_TO_ASK | null {
  if (result.kind !== 'deploy' && result.kind !== 'rollback') return null;
  const surprise = result.result.ok ? null : result.result.surprise;
  if (!surprise) return null;
  const view = surpriseView(surprise, { command: formatCommand(command), key: deliveryId });
  // Slack refuses a button value past 2,000 characters: a reason that long once escaped (500
  // characters of `&`) cannot ride on the button, and the request goes ahead unasked instead.
  const fits = (view.actions ?? []).every((a) => a.value.length <= limits.buttonValue);
  return fits ? view : TOO_LONG_TO_ASK;
}

async function answerFor(
  command: Command,
  result: CommandResult,
  e: CommandEvent,
  deps: HandlerDeps,
): Promise<Answer> {
  const user = e.user;
  switch (result.kind) {
    case 'deploy':
    case 'rollback': {
      const r = result.result;
      if (!r.ok) {
        const view = refusalView(r.reason, r.suggestion);
        const offer = r.code === 'frozen' ? overrideOffer(command, e, deps) : null;
        return { view: offer ? { ...view, actions: [offer] } : view, public: false };
      }
      if (r.duplicate) return { view: alreadyRequested(r.deployment), public: false };
      return acceptedAnswer(e, r.deployment, r.notes, deps);
    }
    case 'lock': {
      const r = result.result;
      if (!r.ok) return { view: refusalView(r.reason, r.suggestion), public: false };
      return { view: lockView(r.lock, { replaced: r.replaced }), public: true };
    }
    case 'unlock': {
      const r = result.result;
      if (!r.ok) return { view: refusalView(r.reason, r.suggestion), public: false };
      return { view: lockView(r.released, { released: true, by: user }), public: true };
    }
    case 'status':
      return {
        view: statusView(result.targets, command.kind === 'status' ? command.service : null),
        public: false,
      };
    case 'history': {
      const filter =
        command.kind === 'history'
          ? { service: command.service, environment: command.environment }
          : {};
      return { view: historyView(result.deployments, filter), public: false };
    }
    case 'help':
      return { view: usageView(usageFor(result.topic)), public: false };
  }
}

async function handleAction(e: ActionEvent, deps: HandlerDeps, log: () => Logger): Promise<void> {
  const caller = { actor: e.user, channel: e.channel, source: 'chat' as const };
  switch (e.actionId) {
    case 'approve':
    case 'reject': {
      const r = await deps.engine.verdict({
        ...caller,
        deploymentId: e.value,
        verdict: e.actionId,
      });
      // Accepted: the notifier updates every message concerned.
      if (!r.ok) await answerPrivately(e, refusalView(r.reason, r.suggestion), deps);
      return;
    }
    case 'cancel': {
      const r = await deps.engine.cancel({ ...caller, deploymentId: e.value });
      if (!r.ok) await answerPrivately(e, refusalView(r.reason, r.suggestion), deps);
      return;
    }
    case 'cancel_request':
      return cancelRequest(e, deps);
    case 'canary_pause':
    case 'canary_resume':
    case 'canary_promote': {
      const action = e.actionId.slice('canary_'.length) as 'pause' | 'resume' | 'promote';
      const r = await deps.engine.steer({ ...caller, deploymentId: e.value, action });
      // Accepted: the run acts on it within a second, and its transition updates the card.
      if (!r.ok) await answerPrivately(e, refusalView(r.reason, r.suggestion), deps);
      return;
    }
    case 'confirm_command':
      return confirmCommand(e, deps);
    case 'dismiss':
      return replaceAnswer(e, dismissedView(), deps);
    case 'rollback':
    case 'retry':
      return followUp(e, deps, e.actionId);
    default:
      if (isReviewAction(e.actionId)) return handleReviewAction(e, deps);
      // Link buttons also report clicks (docs.slack.dev/reference/block-kit/block-elements/button-element).
      if (e.actionId.startsWith('link')) return;
      log().warn({ actionId: e.actionId }, 'unknown button');
      await answerPrivately(
        e,
        refusalView(
          `Slipway does not know this button (${e.actionId}); it may come from an older message. Use /deploy instead.`,
        ),
        deps,
      );
  }
}

/**
 * "Roll back" on a succeeded deployment's message, and "Retry" on a failed one: the engine
 * checks the deployment and asks policy for its real target, whatever message the click came
 * from; the idempotency key makes repeated clicks one request.
 */
async function followUp(
  e: ActionEvent,
  deps: HandlerDeps,
  kind: 'rollback' | 'retry',
): Promise<void> {
  const caller = {
    actor: e.user,
    source: 'chat' as const,
    channel: e.channel,
    deploymentId: e.value,
  };
  const r =
    kind === 'rollback' ? await deps.engine.rollBack(caller) : await deps.engine.retry(caller);
  if (!r.ok) return answerPrivately(e, refusalView(r.reason, r.suggestion), deps);
  if (r.duplicate) return answerPrivately(e, alreadyRequested(r.deployment), deps);
  deps.release?.();
  const answer = await acceptedAnswer(e, r.deployment, r.notes, deps);
  if (!answer) return;
  await (answer.public
    ? announce(e, answer.view, deps, r.deployment.id)
    : answerPrivately(e, answer.view, deps));
}

/**
 * "Deploy again" (or "Deploy 1.2.3") under the question surpriseIn asked: the command runs as
 * the clicker, through policy as if typed, and the answer takes the question's place.
 */
async function confirmCommand(e: ActionEvent, deps: HandlerDeps): Promise<void> {
  const confirmed = decodeConfirmed(e.value);
  const parsed = confirmed ? parseCommand(confirmed.command, grammarOf(deps.config)) : null;
  if (
    !confirmed ||
    !parsed?.ok ||
    (parsed.command.kind !== 'deploy' && parsed.command.kind !== 'rollback')
  ) {
    return answerPrivately(
      e,
      refusalView('This button no longer says which deploy it was for. Type the command again.'),
      deps,
    );
  }
  const result = await executeCommand(deps.engine, parsed.command, {
    actor: e.user,
    source: 'chat',
    channel: e.channel,
    idempotencyKey: `confirmed:${confirmed.key}`,
  });
  if (result.kind !== 'deploy' && result.kind !== 'rollback') return;
  const r = result.result;
  deps.release?.();
  if (!r.ok) return replaceAnswer(e, refusalView(r.reason, r.suggestion), deps);
  if (r.duplicate) return replaceAnswer(e, alreadyRequested(r.deployment), deps);
  const answer = await acceptedAnswer(e, r.deployment, r.notes, deps);
  const view = answer?.view ?? acceptedView(r.deployment, r.notes);
  await (answer?.public ? announce(e, view, deps, r.deployment.id) : replaceAnswer(e, view, deps));
}

/**
 * Cancel on the private answer to a request that waits its turn. Once it runs, its message
 * has the Cancel that stops and rolls back (after a confirmation); this one never does that.
 */
async function cancelRequest(e: ActionEvent, deps: HandlerDeps): Promise<void> {
  const d = await deps.engine.get(e.value);
  if (d && (d.state === 'running' || d.state === 'verifying')) {
    return answerPrivately(
      e,
      refusalView(
        `${d.id} is running now. Its message has a Cancel that stops it and rolls ${d.environment} back.`,
      ),
      deps,
    );
  }
  const r = await deps.engine.cancel({
    actor: e.user,
    channel: e.channel,
    source: 'chat',
    deploymentId: e.value,
  });
  if (!r.ok) return answerPrivately(e, refusalView(r.reason, r.suggestion), deps);
  await replaceAnswer(e, cancelledRequestView(r.deployment, e.user), deps);
}

/**
 * An accepted deploy or rollback has one public message, its card in the service's channel
 * (the notifier's, with who asked). Announcing it as well doubled every deployment's messages.
 * So the channel hears of it here only when the service has no card channel; the asker is told
 * privately where the card is when it is elsewhere, or, after a slash command (which leaves no
 * trace in the channel, and whose answer costs no API call), that it was accepted. A mention or
 * a button in the card's channel needs no answer, the card is it, unless there are notes.
 */
async function acceptedAnswer(
  e: InboundEvent,
  d: Deployment,
  notes: readonly string[],
  deps: HandlerDeps,
): Promise<Answer> {
  // A request waiting behind another deployment has no card until it runs: the asker is told
  // what it waits for, with a Cancel, whatever the channel. The worker may already have claimed
  // this very request by the time the target is read, and a request never waits on itself.
  const found = d.state === 'queued' ? await deps.engine.holder(d.service, d.environment) : null;
  const holder = found && found.id !== d.id ? found : null;
  const waiting = holder ? waitingView(acceptedView(d, notes), d, holder) : null;
  // The card is kept in the service's channel and, from a chat channel, where it was asked
  // (the notifier's origin card); only a direct message has neither.
  const channels = findService(deps.config, d.service)?.channels ?? [];
  const here =
    channels.includes(e.channel) || (d.channel === e.channel && !isDirectChannel(e.channel));
  // Pointed to on the asker's own platform when the service has a channel there.
  const cardChannel =
    channels.find((c) => platformOf(c) === platformOf(e.channel)) ?? channels[0] ?? null;
  if (!here) {
    const view = waiting ?? acceptedView(d, notes, cardChannel ?? undefined);
    return { view, public: false };
  }
  if (waiting) return { view: waiting, public: false };
  const slash = e.kind === 'command' && e.mode === 'slash';
  return slash || notes.length > 0 ? { view: acceptedView(d, notes), public: false } : null;
}

function waitingView(view: MessageView, d: Deployment, holder: Deployment): MessageView {
  const behind = `It waits for ${code(holder.id)} (${escapeText(holder.version)}, by ${mention(holder.requestedBy)}) to finish.`;
  return {
    ...view,
    body: view.body ? `${view.body}\n${behind}` : behind,
    actions: [{ id: 'cancel_request', label: 'Cancel', value: d.id }],
  };
}

/**
 * A deploy refused by a freeze, asked by someone who may override it: the refusal carries the
 * button that sends the same command as `deploy!`, behind a confirmation. Policy decides again
 * on the click; the button only saves typing it.
 */
function overrideOffer(
  command: Command,
  e: CommandEvent,
  { config, chat }: HandlerDeps,
): ViewAction | null {
  if (command.kind !== 'deploy' || command.force || !command.version || !command.environment)
    return null;
  const service = findService(config, command.service);
  const environment = findEnvironment(config, command.environment);
  if (!service || !environment || !mayOverrideFreeze(config, e.user, environment, service))
    return null;
  const forced = formatCommand({ ...command, force: true });
  const value = encodeConfirmed({ command: forced, key: e.deliveryId });
  if (value.length > chat.limits.buttonValue) return null;
  return {
    id: 'confirm_command',
    label: 'Deploy during the freeze',
    value,
    style: 'danger',
    confirm: {
      title: 'Override the freeze?',
      text: `This deploys ${command.service} ${command.version} to ${command.environment} during the freeze, and its message says so.`,
      confirm: 'Deploy anyway',
      deny: 'Wait',
    },
  };
}

function grammarOf(config: Config) {
  return {
    services: config.services.map((s) => s.name),
    environments: config.environments.map((env) => env.name),
  };
}

function alreadyRequested(d: Deployment): MessageView {
  return {
    title: `Already requested by ${mention(d.requestedBy)}`,
    tone: 'neutral',
    body: `${code(d.id)} is ${d.state.replace('_', ' ')}; nothing new was started.`,
  };
}
