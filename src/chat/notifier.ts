import { context } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { findService } from '../config/index.js';
import type { Config } from '../config/schema.js';
import { ACTIVE_STATES, type Deployment, isFinal } from '../core/deployment.js';
import { deploymentSubject } from '../core/message-subject.js';
import { settledWithin } from '../core/within.js';
import type { EngineEvent, EngineListener } from '../engine/events.js';
import {
  type ApprovalDeps,
  type ApproverMessages,
  askApprovers,
  recordVerdict,
  settleApprovers,
} from '../features/approvals/notifier.js';
import {
  askReviewers,
  buildBefore,
  type ReviewMessages,
  refreshReview,
  reviewed,
} from '../features/review/notifier.js';
import { deploymentLinks } from '../integrations/links.js';
import { deploymentContext } from '../observability/spans.js';
import type { Store } from '../store/types.js';
import { isDirectChannel } from './identity.js';
import {
  createPostedMessage,
  type PostedDeps,
  type PostedMessage,
  type PostedTiming,
  type Shown,
} from './posted/posted-message.js';
import type { ChatClient, MessageRef, MessageView } from './types.js';
import {
  deliveryQuestionView,
  deploymentView,
  escapeText,
  stateLabel,
  toneOf,
  verdictView,
} from './views/index.js';
import { splitForThread } from './views/split.js';
import { code } from './views/text.js';

export interface NotifierDeps {
  /** The engine's event bus (`engine.events`). */
  events: { on(listener: EngineListener): () => void };
  store: Store;
  chat: ChatClient;
  config: Config;
  log: Logger;
  /** Whether a driver keeps the output of its runs for `slipway logs`; none does when absent. */
  keepsOutput?: (driver: string) => boolean;
}

export interface NotifierOptions {
  /** At most one call per message per this many ms (Slack: about one message a second). */
  minUpdateIntervalMs?: number;
  /** Tries per view or reply before giving up on it. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A reservation without a posted message this old was abandoned by a dead process. */
  staleClaimMs?: number;
  /**
   * How long a finished deployment's messages are kept in memory for late events. A later event
   * finds them again in the store (a read), so this only saves reads: a minute covers the look
   * again after the last update and a review asked for at the end.
   */
  forgetAfterMs?: number;
  /**
   * At most this many finished deployments' messages are kept, however recent: about 7 KiB
   * each (the messages, their loggers and timers), and a burst can finish thousands a minute.
   */
  maxFinished?: number;
  /**
   * Progress alone (a driver's output line) updates a card at most this often; a change of
   * state still shows after minUpdateIntervalMs.
   */
  progressIntervalMs?: number;
}

/** Cards a stop left behind that a start brings up to date; more wait for the next start. */
const CATCH_UP_LIMIT = 500;
/** Deployments whose cards are brought up to date at once, at start. */
const CATCH_UP_AT_ONCE = 4;

export interface Notifier {
  /**
   * Listens to the engine, and brings up to date the cards an earlier stop gave up on (in the
   * background; `caughtUp` says when it is done).
   */
  start(): void;
  /** Resolves once the cards owed at start have been shown (for tests). */
  caughtUp(): Promise<void>;
  /**
   * Stops listening and delivers what is still waiting (the final states), for at most
   * `withinMs`: what is left then is given up, logged, and recorded as owed, for the next
   * start to show. Their states are in the store; calls still under way are the chat client's
   * to abandon.
   */
  stop(options?: { withinMs?: number }): Promise<void>;
  /** Resolves once nothing is waiting or under way (for tests). */
  idle(): Promise<void>;
  /** How many deployments' messages are kept in memory (for tests). */
  kept(): number;
  /**
   * The view a kept message shows now, rendered from the store: a deployment's card by where it
   * was posted (a Teams client asking to refresh one, or answering the person who pressed a
   * button on it). Null for other messages and unknown ones.
   */
  currentView(ref: MessageRef): Promise<MessageView | null>;
}

interface Tracked {
  /**
   * The card in each of the service's channels (a Slack and a Teams channel may both follow
   * it): each shows the same view, and the details go in each one's thread.
   */
  cards: PostedMessage[];
  /**
   * The same card in the channel the request came from, when that is another channel (a
   * production deploy asked in #deploys): everyone there sees what they asked for happen. Its
   * details stay in the main card's thread.
   */
  origin: PostedMessage | null;
  approvers: ApproverMessages;
  /** The QA and owners' messages when the deployment is a build under review (seeds/001). */
  review: ReviewMessages;
  /** Events of one deployment are handled in order. */
  queue: Promise<void>;
  finishedAt: number | null;
  /** A progress update waiting for its turn (see progressIntervalMs). */
  progressTimer: NodeJS.Timeout | null;
}

/**
 * Thread chunks fit Slack's section text (the strictest renderer so far), less the 6
 * characters of the code fence around each.
 */

/**
 * Keeps one message per deployment in its service's channel, updated in place from engine
 * events, with details as thread replies, and asks approvers in direct messages
 * (ARCHITECTURE.md, "chat").
 */
export function createNotifier(deps: NotifierDeps, options: NotifierOptions = {}): Notifier {
  const log = deps.log.child({ component: 'notifier' });
  const timing: PostedTiming = {
    minIntervalMs: options.minUpdateIntervalMs ?? 1_000,
    maxAttempts: options.maxAttempts ?? 8,
    retryBaseMs: options.retryBaseMs ?? 500,
    retryMaxMs: options.retryMaxMs ?? 30_000,
    staleClaimMs: options.staleClaimMs ?? 120_000,
    // Engine events have nobody waiting on them: a card waits for whoever is posting it.
    waitForPosterMs: Number.POSITIVE_INFINITY,
  };
  const forgetAfterMs = options.forgetAfterMs ?? 60_000;
  const maxFinished = options.maxFinished ?? 1_000;
  const progressIntervalMs = options.progressIntervalMs ?? 5_000;
  const posted: PostedDeps = { chat: deps.chat, store: deps.store, log, timing };
  const approvalDeps: ApprovalDeps = { ...deps, log, posted };
  const tracked = new Map<string, Tracked>();
  let unsubscribe: (() => void) | null = null;
  let catchingUp: Promise<void> = Promise.resolve();

  function track(d: Deployment): Tracked {
    let t = tracked.get(d.id);
    if (!t) {
      const channels = serviceChannels(deps.config, d.service);
      const asked = originChannel(d, channels);
      t = {
        cards: channels.map((channel) => mainSlot(d, channel)),
        origin: asked ? mainSlot(d, asked, 'origin') : null,
        approvers: new Map(),
        review: new Map(),
        queue: Promise.resolve(),
        // Reviews go on long after the deployment ended: such an entry is forgotten again.
        finishedAt: isFinal(d.state) ? Date.now() : null,
        progressTimer: null,
      };
      tracked.set(d.id, t);
    }
    return t;
  }

  function mainSlot(d: Deployment, channel: string, purpose = 'main'): PostedMessage {
    const cardLog = log.child({ deployment: d.id, correlationId: d.correlationId });
    return createPostedMessage(
      { ...posted, log: cardLog },
      { subject: deploymentSubject(d.id), purpose, to: { channel } },
    );
  }

  /** A reply in the thread of every channel's card. */
  function reply(t: Tracked, view: MessageView): void {
    for (const card of t.cards) card.reply(view);
  }

  /** Shows the deployment's card wherever it is kept. */
  function showCards(id: string, t: Tracked): Promise<Shown[]> {
    const main = [...t.cards, ...(t.origin ? [t.origin] : [])];
    return Promise.all(main.map((card) => card.show((posted) => renderMain(id, posted))));
  }

  /**
   * The store is the truth: a late or stale event still renders the latest state. The card is
   * posted once the deployment runs or waits for people, not while it waits in the queue: most
   * of a burst of builds to one target is superseded there and never needs a message.
   */
  async function renderMain(id: string, posted: boolean): Promise<MessageView | null> {
    const d = await deps.store.getDeployment(id);
    if (!d || (!posted && !worthACard(d))) return null;
    const [approvals, transitions, ahead] = await Promise.all([
      d.approvalsRequired > 0 ? deps.store.listApprovals(id) : [],
      deps.store.listTransitions(id),
      d.state === 'queued'
        ? deps.store.listDeployments({
            service: d.service,
            environment: d.environment,
            states: [...ACTIVE_STATES],
            limit: 1,
          })
        : [],
    ]);
    return deploymentView(d, {
      approvals,
      transitions,
      queuedBehind: ahead[0] ?? null,
      // The config's links (a dashboard, its logs) over the time it ran: `now` until it ends.
      links: deploymentLinks(deps.config, d),
    });
  }

  async function handle(event: Exclude<EngineEvent, { type: 'lock' }>, t: Tracked): Promise<void> {
    const d = event.deployment;
    if (event.type === 'review') {
      const verdict = { approver: event.reviewer, verdict: event.verdict, comment: event.comment };
      return refreshReview(approvalDeps, d, t.review, verdict);
    }
    if (event.type === 'promotion' || event.type === 'review_closed') {
      return refreshReview(approvalDeps, d, t.review);
    }
    if (event.type === 'progress') return showProgress(d.id, t);
    void showCards(d.id, t);
    if (event.type === 'approval') {
      reply(t, verdictView(d, event, 'reply'));
      await recordVerdict(approvalDeps, d, event, t.approvers);
      return;
    }
    if (event.type !== 'transition') return;
    const { from, to, reason } = event.transition;
    if (to === 'awaiting_approval') askApprovers(approvalDeps, d, t.approvers);
    // Approvers' messages say where the deployment went: once when it leaves the wait, and
    // again when it ends, so none is left saying "It is deploying".
    const leftWaiting = from === 'awaiting_approval' && to !== 'awaiting_approval';
    if (leftWaiting || (isFinal(to) && d.approvalsRequired > 0)) {
      await settleApprovers(approvalDeps, d, t.approvers);
    }
    const detail = d.outcome ?? reason;
    if (detail && ranOrFailed(d) && worthAReply(to, d, detail)) {
      for (const view of outcomeReplies(d, detail, {
        logs: deps.keepsOutput?.(d.driver) ?? false,
        messageText: deps.chat.limits.messageText,
      }))
        reply(t, view);
    }
    // An analysis that cannot decide asks in the thread, once, when it pauses.
    const asks = from === to && /^(canary|verification) paused/.test(reason ?? '');
    const question = asks ? deliveryQuestionView(d) : null;
    if (question) reply(t, question);
    if (to === 'succeeded' && reviewed(deps.config, d)) {
      await askReviewers(approvalDeps, d, t.review);
      await retireReviewBefore(d);
    }
    if (isFinal(to)) {
      t.finishedAt = Date.now();
      if (t.progressTimer) clearTimeout(t.progressTimer);
      t.progressTimer = null;
    }
  }

  /**
   * A driver's progress line: shown with the next change of state, or after progressIntervalMs
   * at the latest. A card re-rendered at every line would cost a call a second per deployment.
   */
  function showProgress(id: string, t: Tracked): void {
    if (t.cards.length === 0 || t.progressTimer || t.finishedAt !== null) return;
    const origin = context.active();
    t.progressTimer = setTimeout(() => {
      t.progressTimer = null;
      context.with(origin, () => void showCards(id, t));
    }, progressIntervalMs);
  }

  /** The review the build before `d` was under is over: its messages say so. */
  async function retireReviewBefore(d: Deployment): Promise<void> {
    const previous = await buildBefore(deps.store, d);
    if (!previous) return;
    const t = track(previous);
    t.queue = t.queue
      .then(() => refreshReview(approvalDeps, previous, t.review))
      .catch((err: unknown) =>
        log.error({ err, deployment: previous.id }, 'could not retire an earlier review'),
      );
  }

  function listener(event: EngineEvent): void {
    if (event.type === 'lock') return;
    // Most of a stream of requests to one target waits in the queue and is superseded there:
    // such a deployment gets no card and no message, so it is not even tracked (a slot, a
    // logger and a read of the store per event, kept ten minutes, were most of the notifier's
    // cost per accepted /deploy). A later event that is worth a card tracks it then.
    if (!tracked.has(event.deployment.id) && cardless(event)) return;
    const t = track(event.deployment);
    // Its chat calls (and the timers that pace them) belong in the deployment's trace.
    const origin = deploymentContext(event.deployment);
    t.queue = t.queue
      .then(() => context.with(origin, () => handle(event, t)))
      .catch((err: unknown) => {
        const { id, correlationId } = event.deployment;
        log.error({ err, deployment: id, correlationId }, 'could not notify');
      });
    forgetFinished();
  }

  let forgotAt = 0;
  /**
   * At most once a second: each look goes through every deployment tracked. The ones tracked
   * longest go first when too many finished ones are kept.
   */
  function forgetFinished(): void {
    const now = Date.now();
    if (now - forgotAt < 1_000) return;
    forgotAt = now;
    let finished = 0;
    for (const t of tracked.values()) if (t.finishedAt !== null) finished++;
    for (const [id, t] of tracked) {
      if (t.finishedAt === null || busy(t)) continue;
      if (now - t.finishedAt < forgetAfterMs && finished <= maxFinished) continue;
      if (t.progressTimer) clearTimeout(t.progressTimer);
      for (const slot of slots(t)) slot.close();
      tracked.delete(id);
      finished--;
    }
  }

  /**
   * What a stop gave up on, so that an operator can tell which cards show an earlier state: a
   * deployment whose events were still being handled counts all its messages.
   */
  function logUndelivered(left: [string, Tracked][], handled: Set<Tracked>, withinMs: number) {
    const pending = (t: Tracked, list: PostedMessage[]) =>
      list.filter((slot) => !handled.has(t) || slot.busy()).length;
    let cards = 0;
    let messages = 0;
    for (const [, t] of left) {
      const main = [...t.cards, ...(t.origin ? [t.origin] : [])];
      cards += pending(t, main);
      messages += pending(t, [...t.approvers.values(), ...t.review.values()]);
    }
    log.warn(
      {
        withinMs,
        cards,
        otherMessages: messages,
        deployments: left.slice(0, 20).map(([id]) => id),
      },
      'stopping: chat updates left undelivered; those cards show an earlier state than the store',
    );
  }

  const slots = (t: Tracked) => [
    ...t.cards,
    ...(t.origin ? [t.origin] : []),
    ...t.approvers.values(),
    ...t.review.values(),
  ];
  const busy = (t: Tracked) => slots(t).some((slot) => slot.busy());

  /**
   * The cards an earlier stop could not bring up to date (behind Slack's rate limits, say):
   * shown as the store has them now, a few deployments at a time, so that they do not meet the
   * limits that held them, nor wait in line behind a card whose post the stopped process had
   * reserved (that one is taken over once its reservation is stale). A card that still fails
   * stays owed for the next start.
   */
  async function catchUp(): Promise<void> {
    const owed = await deps.store.listOwedCardUpdates(CATCH_UP_LIMIT);
    if (owed.length === 0) return;
    log.info({ deployments: owed.length }, 'bringing up to date the cards a stop left behind');
    const next = () => owed.shift();
    const worker = async () => {
      for (let id = next(); id !== undefined && unsubscribe; id = next()) {
        const d = await deps.store.getDeployment(id);
        if (d) {
          const shown = await showCards(id, track(d));
          if (!unsubscribe || shown.some((s) => s.outcome === 'failed')) continue;
        }
        await deps.store.settleCardUpdate(id);
      }
    };
    await Promise.all(Array.from({ length: CATCH_UP_AT_ONCE }, worker));
  }

  return {
    start() {
      if (unsubscribe) return;
      unsubscribe = deps.events.on(listener);
      catchingUp = catchUp().catch((err: unknown) =>
        log.warn({ err }, 'could not bring up to date the cards a stop left behind'),
      );
    },
    caughtUp: () => catchingUp,
    async stop({ withinMs = Number.POSITIVE_INFINITY } = {}) {
      unsubscribe?.();
      unsubscribe = null;
      // A progress line waiting for its turn is not worth delaying the stop: final states are
      // shown by their transitions.
      for (const t of tracked.values()) {
        if (t.progressTimer) clearTimeout(t.progressTimer);
        t.progressTimer = null;
      }
      const all = [...tracked.entries()];
      const handled = new Set<Tracked>();
      const delivered = (async () => {
        await Promise.all(all.map(([, t]) => t.queue.then(() => handled.add(t))));
        await Promise.all(all.flatMap(([, t]) => slots(t)).map((slot) => slot.flush()));
      })();
      if (!(await settledWithin(delivered, withinMs))) {
        const left = all.filter(([, t]) => !handled.has(t) || busy(t));
        logUndelivered(left, handled, withinMs);
        await deps.store
          .oweCardUpdates(left.map(([id]) => id))
          .catch((err: unknown) =>
            log.warn({ err }, 'could not record the cards left behind; they stay as they are'),
          );
      }
      for (const slot of all.flatMap(([, t]) => slots(t))) slot.close();
      // Its card under way was just given up: it ends now, what it had not shown still owed.
      await catchingUp;
    },
    async currentView(ref) {
      const rows = await deps.store.findPostedMessages(ref);
      const card = rows.find(
        (row) =>
          row.subject.kind === 'deployment' && (row.purpose === 'main' || row.purpose === 'origin'),
      );
      if (card?.subject.kind !== 'deployment') return null;
      return renderMain(card.subject.deploymentId, true);
    },
    kept: () => tracked.size,
    async idle() {
      for (;;) {
        await Promise.all([...tracked.values()].map((t) => t.queue));
        if (![...tracked.values()].some(busy)) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/**
 * A transition of a deployment that has no card, is not getting one with this event, and never
 * asked approvers (whose messages would have to say where it went).
 */
function cardless(event: Exclude<EngineEvent, { type: 'lock' }>): boolean {
  return (
    event.type === 'transition' &&
    event.deployment.approvalsRequired === 0 &&
    event.transition.from !== 'awaiting_approval' &&
    !worthACard(event.deployment)
  );
}

/**
 * Whether a deployment gets its card (posted lazily): once it runs, waits for approvals, or
 * fails. Waiting in the queue does not count, and one superseded or cancelled there never ran:
 * whoever asked was answered when they asked, and the card of what ran is the record.
 */
function worthACard(d: Deployment): boolean {
  if (d.state === 'requested' || d.state === 'queued') return false;
  if (d.state === 'superseded' || d.state === 'cancelled') return d.startedAt !== null;
  return true;
}

/**
 * The chat channel a request came from, when its card belongs there too: another channel than
 * the service's, and not a direct message (that conversation has the private answer).
 */
function originChannel(d: Deployment, serviceChannels: readonly string[]): string | null {
  const asked = d.source === 'chat' ? d.channel : null;
  if (!asked || serviceChannels.includes(asked) || isDirectChannel(asked)) return null;
  return asked;
}

/** Where a service's cards go: each of its channels, on whichever platforms they are. */
function serviceChannels(config: Config, service: string): string[] {
  return findService(config, service)?.channels ?? [];
}

function ranOrFailed(d: Deployment): boolean {
  return d.startedAt !== null || d.state === 'failed';
}

/**
 * A thread reply for the outcome only when the card cannot hold it: a failure (its output
 * belongs in the thread), or an outcome longer than the line the card shows. A plain
 * "deployed" is on the card already.
 */
function worthAReply(to: Deployment['state'], d: Deployment, detail: string): boolean {
  if (to === 'rolling_back' || to === 'failed') return true;
  if (!isFinal(to)) return false;
  return detail.includes('\n') || (d.outcome === null && to !== 'succeeded');
}

/** The outcome (a failure's output tail included) as thread replies, in chunks Slack accepts. */
export function outcomeReplies(
  d: Deployment,
  text: string,
  { logs, messageText }: { logs: boolean; messageText: number },
): MessageView[] {
  const label = stateLabel(d.state);
  const failing = d.state === 'rolling_back';
  const heading = failing ? 'Failed; rolling back' : `${label[0]?.toUpperCase()}${label.slice(1)}`;
  const tone = failing ? 'failure' : toneOf(d.state);
  // A failure shows the end of the output; the whole of it is a command away.
  const whole =
    logs && (failing || d.state === 'failed' || d.state === 'rolled_back')
      ? { context: [`Whole output: ${code(`slipway logs ${d.id}`)}`] }
      : {};
  if (!text.includes('\n') && text.length <= 300) {
    return [{ title: `${heading}: ${escapeText(text)}`, tone, ...whole }];
  }
  // Three backticks in the output would end the code block early.
  // The chunk and the code fence around it (six backticks) fit one message's text.
  const chunks = splitForThread(escapeText(text.replace(/```/g, "'''")), messageText - 6);
  return chunks.map((chunk, i) => ({
    title: chunks.length > 1 ? `${heading} (${i + 1}/${chunks.length})` : heading,
    tone,
    body: `\`\`\`${chunk}\`\`\``,
    ...(i === chunks.length - 1 ? whole : {}),
  }));
}
