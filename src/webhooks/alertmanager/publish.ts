import type { Logger } from 'pino';
import type { ChatClient, MessageRef, MessageView } from '../../chat/types.js';
import type { Config } from '../../config/schema.js';
import { NotFoundError, RetryableError } from '../../core/errors.js';
import { rollbackKey } from '../../engine/follow-ups.js';
import type { AlertMessageRecord, Store } from '../../store/types.js';
import { canaryTieOf, subjectOf } from './match.js';
import { stateOf } from './record.js';
import { alertGroupView } from './view.js';

export interface PublishDeps {
  config: Config;
  store: Store;
  chat: ChatClient;
  log: Logger;
  now: () => Date;
  /** A reservation without a posted message this old was abandoned by a dead process. */
  staleClaimMs: number;
  /** How long to wait for another process that is posting the same group's message. */
  waitForPosterMs: number;
}

export type Published =
  | { outcome: 'posted' | 'updated' | 'unchanged'; channel: string; ts: string }
  | { outcome: 'no_channel'; why: string };

/** Times a message is rendered again because its group changed while it was delivered. */
const MAX_RENDERS = 3;
/** Views remembered to skip an update that would change nothing. */
const REMEMBERED = 1_000;

/**
 * The chat side of alert groups: one message per group episode, posted once (the row is
 * reserved first, as for deployments, so a retry, a restart or another replica updates it
 * instead of posting a second), then updated in place. Calls for one group run one at a time in
 * this process; across processes the last renderer checks that it showed the latest revision.
 */
export function createPublisher(deps: PublishDeps) {
  const queues = new Map<string, Promise<unknown>>();
  const held = new Set<string>();
  const shown = new Map<string, string>();

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

  async function render(row: AlertMessageRecord): Promise<MessageView> {
    const state = stateOf(row);
    const deployment = row.deploymentId ? await deps.store.getDeployment(row.deploymentId) : null;
    const rollback = deployment
      ? await deps.store.findByIdempotencyKey(rollbackKey(deployment.id))
      : null;
    const subject = subjectOf(deps.config, state.alerts);
    const canary = deployment ? canaryTieOf(deployment) : null;
    return alertGroupView({ state, subject, deployment, rollback, canary });
  }

  /** Shows the group's current episode: posts its message or updates it. */
  async function publish(row: AlertMessageRecord): Promise<Published> {
    const channel = row.channel ?? subjectOf(deps.config, stateOf(row).alerts).channel;
    if (!channel) {
      return {
        outcome: 'no_channel',
        why: 'No channel for these alerts: their service is unknown or has no channel, and alerts.channel is not set.',
      };
    }
    let current = row;
    let result: Published | null = null;
    for (let i = 0; i < MAX_RENDERS; i++) {
      const view = await render(current);
      const delivered = await deliver(current, channel, view);
      if (!result || result.outcome === 'unchanged') result = delivered;
      const latest = await deps.store.latestAlertMessage(row.groupId);
      if (!latest || latest.episode !== row.episode || latest.revision === current.revision) break;
      current = latest;
    }
    return result as Published;
  }

  async function deliver(
    row: AlertMessageRecord,
    channel: string,
    view: MessageView,
  ): Promise<Published> {
    const key = `${row.groupId}#${row.episode}`;
    const text = JSON.stringify(view);
    let ref: MessageRef | null =
      row.ts && row.channel ? { channel: row.channel, ts: row.ts } : null;
    if (!ref) {
      const posted = await postOnce(row, channel, view, key);
      if ('posted' in posted) {
        remember(key, text);
        return { outcome: 'posted', ...posted.posted };
      }
      ref = posted.existing;
    }
    if (shown.get(key) === text) return { outcome: 'unchanged', ...ref };
    try {
      await deps.chat.update(ref, view);
    } catch (err) {
      // Someone deleted the message: nothing to update, and posting again would surprise.
      if (!(err instanceof NotFoundError)) throw err;
      deps.log.warn({ err, group: row.groupId, ref }, 'the alert message is gone; not updated');
    }
    remember(key, text);
    return { outcome: 'updated', ...ref };
  }

  /** Posts the message unless it exists; waits a little for another process posting it. */
  async function postOnce(
    row: AlertMessageRecord,
    channel: string,
    view: MessageView,
    key: string,
  ): Promise<{ posted: MessageRef } | { existing: MessageRef }> {
    const deadline = Date.now() + deps.waitForPosterMs;
    for (;;) {
      const claim = await deps.store.claimAlertMessage(
        { groupId: row.groupId, episode: row.episode, channel, at: deps.now() },
        deps.staleClaimMs,
      );
      const { ts, channel: at } = claim.message;
      if (ts && at) return { existing: { channel: at, ts } };
      // Our own earlier reservation, whose post failed: this is the retry.
      if (claim.claimed || held.has(key)) {
        held.add(key);
        const ref = await deps.chat.post(claim.message.channel ?? channel, view);
        const recorded = await deps.store.setAlertMessageTs({ ...row, ...ref, at: deps.now() });
        held.delete(key);
        if (recorded?.ts && recorded.ts !== ref.ts && recorded.channel) {
          deps.log.warn({ group: row.groupId, stray: ref }, 'a second alert message was posted');
          return { existing: { channel: recorded.channel, ts: recorded.ts } };
        }
        return { posted: ref };
      }
      if (Date.now() >= deadline) {
        throw new RetryableError(
          'another Slipway process is posting the message of this alert group; Alertmanager will send it again',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  function remember(key: string, text: string): void {
    shown.delete(key);
    shown.set(key, text);
    if (shown.size > REMEMBERED) shown.delete(shown.keys().next().value as string);
  }

  /** Shows a change that is not the group's own (a rollback or a canary moved on) in its message. */
  async function refresh(groupId: string, episode: number): Promise<void> {
    const row = await deps.store.latestAlertMessage(groupId);
    if (!row || row.episode !== episode || !row.ts) return;
    await publish(row);
  }

  return {
    /** Runs work on a group after what this process is already doing to it. */
    serial,
    /** Posts or updates the group's message; call it inside `serial` for that group. */
    show: publish,
    refresh: (groupId: string, episode: number) => serial(groupId, () => refresh(groupId, episode)),
    async idle(): Promise<void> {
      while (queues.size > 0) await Promise.all([...queues.values()]);
    },
  };
}

export type Publisher = ReturnType<typeof createPublisher>;
