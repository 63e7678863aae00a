import type { Logger } from 'pino';
import type { InboundEvent } from './types.js';
import { code } from './views/text.js';

/**
 * Chat events are acknowledged at once and handled after (Slack's 3-second deadline), on the
 * same event loop as the acknowledgements. Handled all at once, a burst of a thousand commands
 * would run its store work back to back and starve the acknowledgements of later ones: the
 * benchmark saw up to 421 of 1,000 miss the deadline that way. So a few events are handled at
 * a time, first come first served, and the rest wait here.
 *
 * A slot bounds the CPU-bound part of handling (parsing, policy, the store, rendering): a
 * handler gives it back (`release`) before its last step when that is only a chat call, so a
 * slow or rate-limited Slack does not hold up other commands. Four at a time measured best:
 * with sixteen the interleaved handlers cost about a fifth more CPU each (bench (a): 0.82-0.90
 * of Bolt's throughput against 1.10-1.21 with four, over two runs of each).
 *
 * The wait is bounded: when `backlog` commands already wait, a new command whose
 * acknowledgement can carry an answer (Slack's slash commands) is refused in it ("busy, nothing
 * was done, send it again") rather than answered minutes later. Commands that cannot be told
 * (mentions) and button clicks are always queued: a click lost to a flood of commands would be
 * worse.
 */
export interface HandlingQueue {
  /**
   * Runs `work` once a slot is free; settles when it has run (its errors pass through). The
   * slot is free again when `work` ends or calls `release`, whichever comes first.
   */
  run(work: (release: () => void) => Promise<void>): Promise<void>;
  /** True when a new command should be refused instead of queued. */
  full(): boolean;
  /** Events waiting for a slot. */
  waiting(): number;
  /** Events being handled now. */
  running(): number;
  /** True when an event handed over now would start at once. */
  idle(): boolean;
}

export interface HandlingQueueOptions {
  /** Events handled at once. Default 4. */
  concurrency?: number;
  /** Commands allowed to wait before new ones are refused. Default 2,000. */
  backlog?: number;
}

export const DEFAULT_HANDLING = { concurrency: 4, backlog: 2_000 } as const;

/**
 * On Postgres a handler spends most of its slot waiting for round trips (the idempotency key,
 * the locks and the version's mark, what is live), not on the CPU: with four slots, three
 * replicas taking 100 commands a second between them held commands for a second before a slot
 * was free and refused a fifth of them as busy, with each replica's CPU less than half used.
 */
export const POSTGRES_HANDLING_CONCURRENCY = 16;

export function createHandlingQueue(options: HandlingQueueOptions = {}): HandlingQueue {
  const concurrency = options.concurrency ?? DEFAULT_HANDLING.concurrency;
  const backlog = options.backlog ?? DEFAULT_HANDLING.backlog;
  if (concurrency < 1 || backlog < 0)
    throw new RangeError('handling queue: concurrency must be at least 1, backlog at least 0');
  const queue: (() => void)[] = [];
  let active = 0;

  const next = () => {
    active--;
    queue.shift()?.();
  };

  return {
    run(work) {
      // Counted when a slot is taken, synchronously: calls made in one tick cannot all see room.
      const slot = new Promise<void>((resolve) => {
        const take = () => {
          active++;
          resolve();
        };
        if (active < concurrency) take();
        else queue.push(take);
      });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        next();
      };
      return slot.then(() => work(release)).finally(release);
    },
    full: () => queue.length >= backlog,
    waiting: () => queue.length,
    running: () => active,
    idle: () => active < concurrency && queue.length === 0,
  };
}

/**
 * Admission's `refuse` (inbound.ts), asked only where the acknowledgement can carry the
 * answer: a command arriving while the backlog is full is answered, in its acknowledgement,
 * with a sentence saying nothing was done. One warning per burst in the log (not one per
 * command), with how many were refused.
 */
export function busyRefusal(
  queue: HandlingQueue,
  onRefused: () => void,
  log: Logger,
  now: () => number = Date.now,
): (event: InboundEvent) => string | null {
  let refusedSinceLog = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  return (event) => {
    if (event.kind !== 'command' || !queue.full()) return null;
    onRefused();
    refusedSinceLog++;
    if (now() - loggedAt >= 10_000) {
      log.warn(
        { refused: refusedSinceLog, waiting: queue.waiting() },
        'refused chat commands: too many chat events are waiting to be handled',
      );
      loggedAt = now();
      refusedSinceLog = 0;
    }
    return busyText(event.text, queue.waiting());
  };
}

/** What a command refused for want of a free slot is told: nothing was done, and what waits. */
export function busyText(command: string, waiting: number): string {
  const ahead = waiting === 1 ? '1 request is' : `${waiting} requests are`;
  return `Slipway is busy: ${ahead} waiting ahead of yours. Nothing was done with ${code(command)}; send it again in a few seconds.`;
}
