import type { Logger } from 'pino';
import {
  createPostedMessage,
  type PostedMessage,
  type PostedTiming,
  type Render,
} from '../../chat/posted/posted-message.js';
import { PostedElsewhere } from '../../chat/posted/reservation.js';
import type { ChatClient, MessageView } from '../../chat/types.js';
import type { Config } from '../../config/schema.js';
import { RetryableError } from '../../core/errors.js';
import { alertSubject } from '../../core/message-subject.js';
import { settledWithin } from '../../core/within.js';
import { rollbackKey } from '../../engine/follow-ups.js';
import { alertLinks } from '../../integrations/links.js';
import type { AlertGroupRecord, Store } from '../../store/types.js';
import { firstStart, isResolved, lastEnd } from './group.js';
import { canaryTieOf, subjectOf } from './match.js';
import { stateOf } from './record.js';
import { alertGroupView } from './view.js';

export interface PublishDeps {
  config: Config;
  store: Store;
  chat: ChatClient;
  log: Logger;
  /** A reservation without a posted message this old was abandoned by a dead process. */
  staleClaimMs: number;
  /** How long to wait for another process that is posting the same group's message. */
  waitForPosterMs: number;
  /** At most one call per group's message per this many ms (Slack: about one a second). */
  minUpdateIntervalMs: number;
}

export type Published =
  | { outcome: 'posted' | 'updated' | 'unchanged'; channel: string; ts: string }
  | { outcome: 'no_channel'; why: string };

/** Group messages kept in memory (each remembers the view it last showed). */
const REMEMBERED = 1_000;
/** Each episode of a group has one message, in its channel. */
const PURPOSE = 'main';

/**
 * The chat side of alert groups: one message per group episode, a posted message like a
 * deployment's card (reserved before posting, so a retry, a restart or another replica updates
 * it instead of posting a second; rendered again after each delivery, so a view that lost a
 * race with another replica's never has the last word). Alertmanager waits for the answer and
 * sends again on a 5xx, so a failed call is answered, not retried here.
 */
export function createPublisher(deps: PublishDeps) {
  const queues = new Map<string, Promise<unknown>>();
  const messages = new Map<string, PostedMessage>();
  const timing: PostedTiming = {
    minIntervalMs: deps.minUpdateIntervalMs,
    maxAttempts: 1,
    // Looks for the process posting the message every 100 ms, while waitForPosterMs lasts.
    retryBaseMs: 25,
    retryMaxMs: 1_000,
    staleClaimMs: deps.staleClaimMs,
    waitForPosterMs: deps.waitForPosterMs,
  };

  /** Runs `work` after earlier work on the same group (in this process) is done. */
  function serial<T>(groupId: string, work: () => Promise<T>): Promise<T> {
    const before = queues.get(groupId) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => {});
    queues.set(groupId, tail);
    void tail.then(() => {
      if (queues.get(groupId) === tail) queues.delete(groupId);
    });
    return run;
  }

  /** The episode as the store holds it now; null once the group moved on to a newer one. */
  function renderOf(groupId: string, episode: number, onlyPosted: boolean): Render {
    return async (posted) => {
      const row = await deps.store.latestAlertGroup(groupId);
      if (!row || row.episode !== episode || (onlyPosted && !posted)) return null;
      return view(row);
    };
  }

  async function view(row: AlertGroupRecord): Promise<MessageView> {
    const state = stateOf(row);
    const deployment = row.deploymentId ? await deps.store.getDeployment(row.deploymentId) : null;
    const rollback = deployment
      ? await deps.store.findByIdempotencyKey(rollbackKey(deployment.id))
      : null;
    const subject = subjectOf(deps.config, state.alerts);
    const canary = deployment ? canaryTieOf(deployment) : null;
    const links = alertLinks(deps.config, {
      service: subject.service?.name ?? null,
      environment: subject.environment,
      deployment,
      firedAt: firstStart(state),
      resolvedAt: isResolved(state) ? lastEnd(state) : null,
    });
    return alertGroupView({ state, subject, deployment, rollback, canary, links });
  }

  /**
   * The episode's message: the one recorded (posted, or reserved by a process posting it),
   * else a new one in the channel its alerts belong in. Null when they belong in none.
   */
  async function messageOf(row: AlertGroupRecord): Promise<PostedMessage | null> {
    const id = `${row.groupId}#${row.episode}`;
    const kept = messages.get(id);
    if (kept) {
      messages.delete(id);
      messages.set(id, kept);
      return kept;
    }
    const subject = alertSubject(row.groupId, row.episode);
    const recorded = (await deps.store.listPostedMessages(subject)).find(
      (m) => m.purpose === PURPOSE,
    );
    const channel = recorded?.address ?? subjectOf(deps.config, stateOf(row).alerts).channel;
    if (!channel) return null;
    const known = recorded?.ts ? { channel: recorded.channel, ts: recorded.ts } : undefined;
    const message = createPostedMessage(
      { chat: deps.chat, store: deps.store, log: deps.log.child({ group: row.groupId }), timing },
      { subject, purpose: PURPOSE, to: { channel }, ...(known ? { known } : {}) },
    );
    messages.set(id, message);
    forgetIdle();
    return message;
  }

  /** Keeps the most recently shown messages; one still delivering stays. */
  function forgetIdle(): void {
    for (const [id, message] of messages) {
      if (messages.size <= REMEMBERED) return;
      if (message.busy()) continue;
      message.close();
      messages.delete(id);
    }
  }

  /** Shows the group's current episode: posts its message or updates it. */
  async function show(row: AlertGroupRecord): Promise<Published> {
    const message = await messageOf(row);
    if (!message) {
      return {
        outcome: 'no_channel',
        why: 'No channel for these alerts: their service is unknown or has no channel, and alerts.channel is not set.',
      };
    }
    const shown = await message.show(renderOf(row.groupId, row.episode, false));
    if (shown.outcome === 'failed') {
      if (!(shown.error instanceof PostedElsewhere)) throw shown.error;
      throw new RetryableError(
        'another Slipway process is posting the message of this alert group; Alertmanager will send it again',
      );
    }
    const ref = message.ref();
    if (shown.outcome !== 'nothing') return { outcome: shown.outcome, ...shown.ref };
    // A newer episode began meanwhile: it has its own message.
    if (ref) return { outcome: 'unchanged', ...ref };
    return { outcome: 'no_channel', why: 'A newer episode of this alert group has its message.' };
  }

  /** Shows a change that is not the group's own (a rollback or a canary moved on) in its message. */
  async function refresh(groupId: string, episode: number): Promise<void> {
    const row = await deps.store.latestAlertGroup(groupId);
    if (!row || row.episode !== episode) return;
    const message = await messageOf(row);
    if (!message?.ref()) return;
    const shown = await message.show(renderOf(groupId, episode, true));
    if (shown.outcome === 'failed') throw shown.error;
  }

  return {
    /** Runs work on a group after what this process is already doing to it. */
    serial,
    /** Posts or updates the group's message; call it inside `serial` for that group. */
    show,
    refresh: (groupId: string, episode: number) => serial(groupId, () => refresh(groupId, episode)),
    /**
     * Waits for the work under way, delivers what is waiting, and stops; after `withinMs` what is
     * left is given up, and logged (the groups' states are in the store).
     */
    async stop({ withinMs = Number.POSITIVE_INFINITY } = {}): Promise<void> {
      const delivered = (async () => {
        while (queues.size > 0) await Promise.all([...queues.values()]);
        await Promise.all([...messages.values()].map((message) => message.flush()));
      })();
      if (!(await settledWithin(delivered, withinMs))) {
        const busy = [...messages.values()].filter((message) => message.busy()).length;
        deps.log.warn(
          { withinMs, messages: busy, groupsWaiting: queues.size },
          'stopping: alert messages left undelivered; those messages show an earlier state than the store',
        );
      }
      for (const message of messages.values()) message.close();
    },
  };
}

export type Publisher = ReturnType<typeof createPublisher>;
