import { context, SpanKind, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { parseCommand, parseSlashDeploy } from '../commands/parse.js';
import type { Command } from '../commands/types.js';
import { usageFor } from '../commands/usage.js';
import { findService } from '../config/index.js';
import type { Config } from '../config/schema.js';
import type { Deployment } from '../core/deployment.js';
import { type CommandResult, executeCommand } from '../engine/execute.js';
import type { Engine } from '../engine/index.js';
import {
  deploymentAttributes,
  deploymentContext,
  inSpan,
  withDeployment,
} from '../observability/spans.js';
import { handleReviewAction, isReviewAction } from './handler-review.js';
import { announce, answerPrivately } from './replies.js';
import type { ChatClient, InboundEvent, MessageView } from './types.js';
import {
  acceptedView,
  historyView,
  lockView,
  refusalView,
  statusView,
  usageView,
} from './views/index.js';
import { code, mention } from './views/text.js';

export interface HandlerDeps {
  engine: Engine;
  chat: ChatClient;
  config: Config;
  log: Logger;
  /** Called when what is left is only the answer's chat call (handling-queue.ts). */
  release?: () => void;
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
  // deployment's button (approve, reject, cancel, roll back, a review's) joins that trace, so
  // the deployment's whole story, people's decisions included, is one trace.
  const attributes = {
    'enduser.id': event.user,
    'slipway.chat.channel': event.channel,
    'slipway.chat.delivery_id': event.deliveryId,
    ...(event.kind === 'command'
      ? { 'slipway.chat.mode': event.mode }
      : { 'slipway.chat.action': event.actionId }),
  };
  try {
    const clicked = event.kind === 'action' ? await deps.engine.get(event.value) : null;
    const parent = clicked ? deploymentContext(clicked) : undefined;
    await inSpan(`chat.${event.kind}`, { kind: SpanKind.CONSUMER, attributes, parent }, () =>
      event.kind === 'command' ? handleCommand(event, deps) : handleAction(event, deps, log),
    );
  } catch (err) {
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
  const grammar = {
    services: deps.config.services.map((s) => s.name),
    environments: deps.config.environments.map((env) => env.name),
  };
  const parsed =
    e.mode === 'slash' ? parseSlashDeploy(e.text, grammar) : parseCommand(e.text, grammar);
  if (!parsed.ok) {
    deps.release?.();
    return answerPrivately(e, refusalView(parsed.error, parsed.suggestion, parsed.usage), deps);
  }
  const result = await executeCommand(deps.engine, parsed.command, {
    actor: e.user,
    source: 'chat',
    channel: e.channel,
    idempotencyKey: e.deliveryId,
  });
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
  const answer = answerFor(parsed.command, result, e, deps.config);
  deps.release?.();
  if (!answer) return;
  await context.with(scope, () =>
    answer.public
      ? announce(e, answer.view, deps, announced)
      : answerPrivately(e, answer.view, deps),
  );
}

type Answer = { view: MessageView; public: boolean } | null;

function answerFor(
  command: Command,
  result: CommandResult,
  e: CommandEvent,
  config: Config,
): Answer {
  const user = e.user;
  switch (result.kind) {
    case 'deploy':
    case 'rollback': {
      const r = result.result;
      if (!r.ok) return { view: refusalView(r.reason, r.suggestion), public: false };
      if (r.duplicate) return { view: alreadyRequested(r.deployment), public: false };
      return acceptedAnswer(e, r.deployment, r.notes, config);
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
  const answer = acceptedAnswer(e, r.deployment, r.notes, deps.config);
  if (!answer) return;
  await (answer.public
    ? announce(e, answer.view, deps, r.deployment.id)
    : answerPrivately(e, answer.view, deps));
}

/**
 * An accepted deploy or rollback has one public message, its card in the service's channel
 * (the notifier's, with who asked). Announcing it as well doubled every deployment's messages.
 * So the channel hears of it here only when the service has no card channel; the asker is told
 * privately where the card is when it is elsewhere, or, after a slash command (which leaves no
 * trace in the channel, and whose answer costs no API call), that it was accepted. A mention or
 * a button in the card's channel needs no answer, the card is it, unless there are notes.
 */
function acceptedAnswer(
  e: InboundEvent,
  d: Deployment,
  notes: readonly string[],
  config: Config,
): Answer {
  // The card is kept in the service's channel and, from a chat channel, where it was asked
  // (the notifier's origin card); only a direct message has neither.
  const cardChannel = findService(config, d.service)?.channel ?? null;
  const here = e.channel === cardChannel || (d.channel === e.channel && !/^D/.test(e.channel));
  if (!here) {
    if (!cardChannel) return { view: acceptedView(d, notes), public: false };
    return { view: acceptedView(d, notes, cardChannel), public: false };
  }
  const slash = e.kind === 'command' && e.mode === 'slash';
  return slash || notes.length > 0 ? { view: acceptedView(d, notes), public: false } : null;
}

function alreadyRequested(d: Deployment): MessageView {
  return {
    title: `Already requested by ${mention(d.requestedBy)}`,
    tone: 'neutral',
    body: `${code(d.id)} is ${d.state.replace('_', ' ')}; nothing new was started.`,
  };
}
