import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { type Deployment, isFinal } from '../core/deployment.js';
import type { AcceptSteps } from '../store/types.js';
import type { EngineDeps } from './context.js';
import { emitTransition } from './requests.js';
import { runDeployment } from './runner.js';

export interface WorkerOptions {
  leaseMs: number;
  pollMs: number;
  /** Deployments this process runs at once (each on a different target). */
  concurrency: number;
}

export interface Worker {
  start(): void;
  /** Look for work now instead of at the next poll. */
  wake(): void;
  /**
   * A request for `d`'s target was accepted: look for work now, unless a run of this process
   * holds the target (its end wakes the worker, and no claim could start the request before).
   */
  wakeFor(d: Pick<Deployment, 'service' | 'environment'>): void;
  /**
   * Stop taking new work (queued or orphaned) but keep running, and renewing the leases of,
   * what is in hand: the first step of a graceful shutdown, while other replicas take over.
   */
  pause(): void;
  /** Stop taking work, let go of what is in hand (it stays resumable) and hand leases back. */
  stop(): Promise<void>;
  /** Deployment ids this process is running now. */
  inFlight(): string[];
  /**
   * A slot for a request about to be recorded, which the store may start in the same
   * transaction (AcceptSteps.claim); null when this process takes no new work now or has no
   * slot free. The slot is held until `started` or `release` is called.
   */
  reserve(): Reservation | null;
}

export interface Reservation {
  claim: NonNullable<AcceptSteps['claim']>;
  /** The request was started in its transaction: run it here, as a claim would. */
  started(claimed: Deployment): void;
  /** It was not (its target was busy, or it waits for approval): the slot is free again. */
  release(): void;
}

/**
 * Claims queued deployments and resumes those whose process died (expired leases), holding a
 * lease on each while it runs. Any process sharing the store can run any deployment; the store
 * guarantees one active deployment per target.
 */
export function createWorker(deps: EngineDeps, options: WorkerOptions): Worker {
  const running = new Map<
    string,
    { abort: AbortController; cancel: AbortController; done: Promise<void> }
  >();
  // Targets of the deployments running here: a request queued behind one of them cannot be
  // claimed before it ends (one active deployment per target), and its end wakes the worker.
  const busyTargets = new Set<string>();
  // Runs here whose final transition this process wrote, until they have tidied up.
  const endedHere = new Set<string>();
  // Targets a request was queued for here since the last look for work, and those for which
  // that look found nothing to claim though nothing runs them here: another process runs them.
  // That process claims the next request itself when its run ends (its end wakes it), so until
  // the next poll a request queued here for such a target wakes nobody: with replicas, a stream
  // of requests to a target running elsewhere otherwise cost a fruitless claim each.
  const queuedFor = new Set<string>();
  const busyElsewhere = new Set<string>();
  let pollTimer: NodeJS.Timeout | null = null;
  let renewTimer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> | null = null;
  let again = false;
  // Orphans are looked for at start and at each poll only: a wake for new work claims at once,
  // without first writing to every expired lease.
  let orphansDue = true;
  let stopped = true;
  let paused = false;
  const log = deps.log.child({ component: 'worker', processId: deps.processId });

  // Slots promised to requests being recorded (reserve): counted as running until they end.
  let reserved = 0;

  function launch(deployment: Deployment, resumed: boolean, startedOnAccept = false): void {
    const abort = new AbortController();
    const cancel = new AbortController();
    if (resumed)
      log.info(
        { deployment: deployment.id, state: deployment.state },
        'resuming deployment left by a stopped process',
      );
    const target = targetOf(deployment);
    busyTargets.add(target);
    const done = runDeployment(deps, deployment, abort.signal, cancel.signal, startedOnAccept)
      .then(() => undefined)
      .catch((err: unknown) =>
        log.error({ err, deployment: deployment.id }, 'deployment run crashed'),
      )
      .finally(() => {
        running.delete(deployment.id);
        endedHere.delete(deployment.id);
        busyTargets.delete(target);
        wake();
      });
    running.set(deployment.id, { abort, cancel, done });
  }

  // A cancel is written to the store by whichever process received it. Here, it is heard at
  // once; from another replica, at the next lease renewal (below). A deployment queued here is
  // claimed on the same event, as soon as it is written, not after the rest of its request
  // (superseding older ones, the answer) or at the next poll.
  let unsubscribe = () => {};
  function listenForWork(): void {
    unsubscribe = deps.events.on((event) => {
      if (event.type !== 'transition') return;
      if (event.transition.to === 'queued') {
        // A stream of requests to a target running here would otherwise cost a claim each.
        const target = targetOf(event.deployment);
        if (busyTargets.has(target) || busyElsewhere.has(target)) return;
        queuedFor.add(target);
        // The worker's loop belongs to no request: not in the trace of the one that queued it.
        context.with(ROOT_CONTEXT, () => wake());
        return;
      }
      // A run here ended: the next request to its target may be claimed now, not once the run
      // has also flushed its progress and closed its span, a few round trips to the store later.
      if (isFinal(event.transition.to) && running.has(event.deployment.id)) {
        endedHere.add(event.deployment.id);
        context.with(ROOT_CONTEXT, () => wake());
        return;
      }
      if (isCancel(event.deployment, event.transition.actor))
        running.get(event.deployment.id)?.cancel.abort();
    });
  }

  /**
   * Cancels written by other processes, found among what rolls back now: one query, not one per
   * deployment held (a thousand rollouts in hand made that a thousand reads every renewal).
   */
  async function noticeCancels(ids: string[]): Promise<void> {
    const limit = 500;
    const rollingBack = await deps.store.listDeployments({ states: ['rolling_back'], limit });
    const held = new Set(ids);
    const candidates =
      rollingBack.length < limit ? rollingBack.filter((d) => held.has(d.id)) : null;
    for (const d of candidates ?? (await readEach(ids))) {
      const run = running.get(d.id);
      if (!run || run.cancel.signal.aborted) continue;
      if (d.state === 'rolling_back' && d.outcome?.startsWith('cancelled by ')) run.cancel.abort();
    }
  }

  async function readEach(ids: string[]): Promise<Deployment[]> {
    const found: Deployment[] = [];
    for (const id of ids) {
      const d = await deps.store.getDeployment(id);
      if (d) found.push(d);
    }
    return found;
  }

  async function tick(): Promise<void> {
    if (stopped || paused) return;
    try {
      if (orphansDue) {
        orphansDue = false;
        await resumeOrphans();
      }
      const asked = [...queuedFor];
      queuedFor.clear();
      while (!stopped && !paused && running.size + reserved < options.concurrency) {
        const claimed = await deps.store.claimNextQueued(deps.processId, options.leaseMs, {
          actor: 'slipway',
          reason: `started by ${deps.processId}`,
        });
        if (!claimed) {
          // Nothing was claimable once every request above had been written.
          for (const target of asked) if (!busyTargets.has(target)) busyElsewhere.add(target);
          break;
        }
        emitTransition(deps, claimed, 'queued', 'slipway', null);
        launch(claimed, false);
        // SQLite answers synchronously, so claim after claim would run as one unbroken chain of
        // promise callbacks: let the event loop serve I/O (acks, watches) between two claims.
        await yieldToEventLoop();
      }
    } catch (err) {
      log.error({ err }, 'could not look for work; will retry');
    }
  }

  async function resumeOrphans(): Promise<void> {
    for (const orphan of await deps.store.takeExpiredLeases(deps.processId, options.leaseMs)) {
      if (running.has(orphan.id)) continue;
      await recordTakeover(orphan);
      launch(orphan, true);
    }
  }

  /**
   * A takeover is part of the deployment's story: the history shows which process went on
   * with it, and that the one before stopped (crashed, or was stopped without handing back).
   */
  async function recordTakeover(orphan: Deployment): Promise<void> {
    await deps.store.transition(orphan.id, [orphan.state], orphan.state, {
      actor: 'slipway',
      reason: `resumed by ${deps.processId}: the process running it stopped or handed it back`,
    });
  }

  function wake(): void {
    if (stopped) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = tick().finally(() => {
      ticking = null;
      if (again) {
        again = false;
        wake();
      }
    });
  }

  /**
   * Of the runs a renewal did not extend, those another process holds now. A run whose final
   * transition committed while the renewal was on its way is not renewed either (its lease
   * ends with it), yet it is still in hand here until it has tidied up: it was not lost.
   */
  async function lost(unrenewed: string[]): Promise<string[]> {
    const taken: string[] = [];
    for (const id of unrenewed) {
      if (!running.has(id) || endedHere.has(id)) continue;
      const d = await deps.store.getDeployment(id);
      // Ended by another process, or held by one.
      if (d && (isFinal(d.state) || d.leaseOwner !== deps.processId)) taken.push(id);
    }
    return taken;
  }

  async function renew(): Promise<void> {
    const ids = [...running.keys()];
    if (ids.length === 0) return;
    try {
      const held = new Set(await deps.store.renewLeases(deps.processId, ids, options.leaseMs));
      await noticeCancels([...held]);
      for (const id of await lost(ids.filter((id) => !held.has(id)))) {
        // Another process took this deployment over (we were too slow to renew): stop
        // watching it here; the compare-and-set transitions keep the outcome single.
        log.warn({ deployment: id }, 'lease lost; another process continues this deployment');
        running.get(id)?.abort.abort();
      }
    } catch (err) {
      log.error({ err }, 'could not renew leases');
    }
  }

  function reserve(): Reservation | null {
    if (stopped || paused || running.size + reserved >= options.concurrency) return null;
    reserved++;
    let held = true;
    const free = () => {
      if (!held) return false;
      held = false;
      reserved--;
      return true;
    };
    return {
      claim: {
        owner: deps.processId,
        leaseMs: options.leaseMs,
        meta: { actor: 'slipway', reason: `started by ${deps.processId}` },
      },
      started(claimed) {
        if (!free()) return;
        // Stopped while its transaction was written: its lease runs out, and whoever takes
        // expired leases next (this process after a restart, or a replica) starts it.
        if (stopped) {
          log.info(
            { deployment: claimed.id },
            'stopping: left a deployment started on accept to its lease',
          );
          return;
        }
        launch(claimed, false, true);
      },
      release() {
        // A claim that found every slot promised may have left queued work behind.
        if (free() && running.size + reserved + 1 >= options.concurrency) wake();
      },
    };
  }

  return {
    reserve,
    start() {
      if (!stopped) return;
      stopped = false;
      listenForWork();
      orphansDue = true;
      pollTimer = setInterval(() => {
        orphansDue = true;
        busyElsewhere.clear();
        wake();
      }, options.pollMs);
      renewTimer = setInterval(() => void renew(), Math.max(100, Math.floor(options.leaseMs / 3)));
      wake();
    },
    wake,
    wakeFor(d) {
      if (!busyTargets.has(targetOf(d))) wake();
    },
    pause() {
      paused = true;
    },
    async stop() {
      stopped = true;
      unsubscribe();
      if (pollTimer) clearInterval(pollTimer);
      if (renewTimer) clearInterval(renewTimer);
      await ticking;
      const runs = [...running.values()];
      for (const run of runs) run.abort.abort();
      await Promise.all(runs.map((run) => run.done));
      await deps.store.releaseLeases(deps.processId);
    },
    inFlight: () => [...running.keys()],
  };
}

/** A person's cancel of a running deployment: it moved to rolling_back, not by Slipway. */
function isCancel(d: Deployment, actor: string): boolean {
  return d.state === 'rolling_back' && actor !== 'slipway';
}

function targetOf(d: Pick<Deployment, 'service' | 'environment'>): string {
  return `${d.service}\u0000${d.environment}`;
}
