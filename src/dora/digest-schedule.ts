import type { Logger } from 'pino';
import {
  createReservation,
  PostedElsewhere,
  type ReservationStore,
} from '../chat/posted/reservation.js';
import type { ChatClient } from '../chat/types.js';
import type { Config, DoraDigest } from '../config/schema.js';
import { digestSubject } from '../core/message-subject.js';
import type { Store } from '../store/types.js';
import { digestReports, digestView } from './digest.js';
import { type DigestWeek, dueWeek, nextDue, weekBefore } from './digest-week.js';

/** The digest's purpose among its subject's messages (one subject per week). */
export const DIGEST_PURPOSE = 'dora-digest';

export interface DigestScheduleDeps {
  store: ReservationStore & Pick<Store, 'doraRecords' | 'listPostedMessages'>;
  chat: ChatClient;
  config: Config;
  digest: DoraDigest;
  /** SLIPWAY_PUBLIC_URL, for the link to the dashboard's DORA page. */
  publicUrl?: string | undefined;
  log: Logger;
  now?: () => Date;
}

export interface DigestScheduleOptions {
  /** After a failed post, or while another replica holds the week's reservation. */
  retryMs?: number;
  /** A reservation without a posted message this old was left by a process that died. */
  staleClaimMs?: number;
  /**
   * The longest a timer waits before looking again: a machine that slept, or a clock that was
   * set, would otherwise leave a week-long timer pointing at the wrong moment.
   */
  maxWaitMs?: number;
}

/**
 * What a look at the calendar did: posted the week's digest, found it posted (by this process
 * before a restart, or by another replica), found none due, left it to the replica posting it,
 * failed (tried again after `retryMs`), or found nothing to report on.
 */
export type DigestOutcome =
  | 'posted'
  | 'posted-before'
  | 'not-due'
  | 'posting-elsewhere'
  | 'failed'
  | 'nothing-to-report';

export interface DigestSchedule {
  /** Looks at once (a digest missed while the server was down is posted now), then when due. */
  start(): void;
  /** Cancels the timer and waits for a post under way. */
  stop(): Promise<void>;
  /** Posts the week's digest if it is due and nobody posted it: what happened. */
  runDue(): Promise<DigestOutcome>;
  /** When the next digest is due. */
  nextDueAt(): Date;
}

/**
 * Posts the DORA digest once a week, once in all: the week's message is reserved in the store
 * under the week's subject before it is posted (src/chat/posted/reservation.ts), so of several
 * replicas one posts, a restart finds it posted, and a post whose outcome was unknown is looked
 * for in the channel before posting again.
 */
export function createDigestSchedule(
  deps: DigestScheduleDeps,
  options: DigestScheduleOptions = {},
): DigestSchedule {
  const { digest, log } = deps;
  const now = deps.now ?? (() => new Date());
  const retryMs = options.retryMs ?? 60_000;
  const staleClaimMs = options.staleClaimMs ?? 120_000;
  const maxWaitMs = options.maxWaitMs ?? 3_600_000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<DigestOutcome> | null = null;
  let stopped = false;

  async function post(week: DigestWeek): Promise<DigestOutcome> {
    const subject = digestSubject(week.week);
    const rows = await deps.store.listPostedMessages(subject);
    const mine = rows.find((r) => r.purpose === DIGEST_PURPOSE && r.address === digest.channel);
    if (mine?.ts) return 'posted-before';
    const weeks = { week, previous: weekBefore(week, digest.timezone) };
    const reports = await digestReports(deps.store, deps.config, weeks, digest.environment);
    if (typeof reports === 'string') {
      log.error({ week: week.week, problem: reports }, 'the DORA digest has nothing to report on');
      return 'nothing-to-report';
    }
    const view = digestView(reports, {
      timezone: digest.timezone,
      ...(digest.environment ? { environment: digest.environment } : {}),
      ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
      limits: deps.chat.limits,
    });
    const reservation = createReservation(
      { chat: deps.chat, store: deps.store, log, staleClaimMs },
      { subject, purpose: DIGEST_PURPOSE, to: { channel: digest.channel } },
    );
    // 'updated': another replica recorded it between our look and our reservation.
    const done = await reservation.deliver(view);
    if (done === 'posted')
      log.info({ week: week.week, channel: digest.channel }, 'DORA digest posted');
    return done === 'posted' ? 'posted' : 'posted-before';
  }

  async function runOnce(): Promise<DigestOutcome> {
    const week = dueWeek(now(), digest);
    if (!week) return 'not-due';
    try {
      return await post(week);
    } catch (err) {
      if (err instanceof PostedElsewhere) return 'posting-elsewhere';
      log.warn({ err, week: week.week }, 'the DORA digest was not posted; trying again');
      return 'failed';
    }
  }

  function runDue(): Promise<DigestOutcome> {
    running ??= runOnce().finally(() => {
      running = null;
    });
    return running;
  }

  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(async () => {
      timer = null;
      const outcome = await runDue();
      const retry = outcome === 'failed' || outcome === 'posting-elsewhere';
      const untilDue = nextDue(now(), digest).getTime() - now().getTime();
      schedule(retry ? retryMs : Math.min(untilDue, maxWaitMs));
    }, ms);
    // The digest never keeps a process alive that has nothing else to do.
    timer.unref();
  }

  return {
    start() {
      stopped = false;
      if (!timer) schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
    runDue,
    nextDueAt: () => nextDue(now(), digest),
  };
}
