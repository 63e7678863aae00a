import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Deployment } from '../core/deployment.js';
import { isFinal } from '../core/deployment.js';
import { parseDuration } from '../core/duration.js';
import { recordVerdict } from '../features/approvals/engine.js';
import { closeReview, promote, reviewBuild } from '../features/review/engine.js';
import { cancelDeployment } from './cancel.js';
import type { EngineDeps } from './context.js';
import { retryDeployment, rollBackDeployment } from './follow-ups.js';
import { lockTarget, unlockTarget } from './locks.js';
import { detailsOf, historyOf, holderOf, statusOf } from './queries.js';
import { requestDeployment } from './requests.js';
import { steerDeployment } from './steer.js';
import { createSweeper } from './sweeper.js';
import { createWorker, type Worker } from './worker.js';

export type {
  CloseAccepted,
  PromoteAccepted,
  ReviewAccepted,
  ReviewCaller,
} from '../features/review/engine.js';
export { previewUrl, promotionKey, reviewTarget } from '../features/review/engine-state.js';
export { type CanaryProgress, canaryProgressOf } from './canary.js';
export type { EngineDeps, Refusal } from './context.js';
export { describeDeployment } from './describe.js';
export type { EngineEvent, EngineListener } from './events.js';
export { createEventBus } from './events.js';
export { type FollowUpCaller, retryKey, rollbackKey } from './follow-ups.js';
export { describeLock } from './locks.js';
export type { DeployRequest } from './requests.js';
export type { Surprise, SurpriseQuestion } from './surprises.js';
export { type VerifyProgress, verifyProgressOf } from './verification.js';

/**
 * The engine: the one entry point for chat, CLI, API and webhooks. Every request goes through
 * policy and lands in the store before anything external happens.
 */
export function createEngine(given: EngineDeps) {
  const worker: Worker = createWorker(given, {
    leaseMs: parseDuration(given.config.engine.lease) ?? 30_000,
    pollMs: parseDuration(given.config.engine.pollInterval) ?? 1_000,
    concurrency: given.config.engine.concurrency,
  });
  // On SQLite this process runs everything, so a request may start in its own transaction;
  // replicas on Postgres take requests from the queue, whichever claims first.
  const deps: EngineDeps =
    given.store.kind === 'sqlite' ? { ...given, reserveStart: () => worker.reserve() } : given;
  const sweeper = createSweeper(deps, parseDuration(deps.config.engine.sweepInterval) ?? 300_000);
  const wakeAfter = <T extends { ok: boolean }>(result: T, d?: Deployment | null): T => {
    // Started in its own transaction already: there is nothing for a claim to find.
    if (!result.ok || !d || d.state === 'running') return result;
    // The worker's loop belongs to no request: woken inside one, its claims, log lines and the
    // deployments it starts would otherwise run in that request's trace context. A request
    // queued behind a run of this process wakes nobody: most of a stream to one target, each of
    // which cost a claim that found nothing.
    context.with(ROOT_CONTEXT, () => worker.wakeFor(d));
    return result;
  };
  const wakeAfterRequest = <T extends { ok: boolean; deployment?: Deployment }>(result: T): T =>
    wakeAfter(result, result.deployment);
  return {
    events: deps.events,
    request: async (request: Parameters<typeof requestDeployment>[1]) =>
      wakeAfterRequest(await requestDeployment(deps, request)),
    verdict: async (request: Parameters<typeof recordVerdict>[1]) =>
      wakeAfterRequest(await recordVerdict(deps, request)),
    /** Cancels a deployment; one that is running stops and rolls back. */
    cancel: (request: Parameters<typeof cancelDeployment>[1]) => cancelDeployment(deps, request),
    /** Pauses, resumes or promotes now a canary (or a verification waiting for a person). */
    steer: (request: Parameters<typeof steerDeployment>[1]) => steerDeployment(deps, request),
    /** Rolls back a deployment that is live, to the version live before it. */
    rollBack: async (request: Parameters<typeof rollBackDeployment>[1]) =>
      wakeAfterRequest(await rollBackDeployment(deps, request)),
    /** Deploys a failed deployment's version again. */
    retry: async (request: Parameters<typeof retryDeployment>[1]) =>
      wakeAfterRequest(await retryDeployment(deps, request)),
    /** A QA verdict on a build under review (seeds/001). */
    review: (request: Parameters<typeof reviewBuild>[1]) => reviewBuild(deps, request),
    /** An owner deploys a reviewed build to the next environment. */
    promote: async (request: Parameters<typeof promote>[1]) => {
      const r = await promote(deps, request);
      return wakeAfter(r, r.ok ? r.promoted : null);
    },
    /** An owner ends a review without promoting the build. */
    closeReview: (request: Parameters<typeof closeReview>[1]) => closeReview(deps, request),
    lock: (request: Parameters<typeof lockTarget>[1]) => lockTarget(deps, request),
    unlock: (request: Parameters<typeof unlockTarget>[1]) => unlockTarget(deps, request),
    status: (service: string | null) => statusOf(deps, service),
    history: (filter: Parameters<typeof historyOf>[1]) => historyOf(deps, filter),
    details: (id: string) => detailsOf(deps, id),
    /** What holds a target now, that a queued deployment waits for. */
    holder: (service: string, environment: string) => holderOf(deps, service, environment),
    /** One deployment as stored, or null. */
    get: (id: string) => deps.store.getDeployment(id),
    /** Starts running queued work and resuming deployments whose process died. */
    start: () => {
      worker.start();
      sweeper.start();
    },
    /** Stops taking new work; what is in hand goes on (graceful shutdown, step one). */
    pause: () => worker.pause(),
    stop: async () => {
      await sweeper.stop();
      await worker.stop();
    },
    /** Removes what outlived its time to live now (expired previews), instead of at the next sweep. */
    sweep: () => sweeper.sweep(),
    inFlight: () => worker.inFlight(),
    /**
     * Resolves when the deployment is final or waits on people (approval). Reads the store,
     * so it sees work done by other processes too. A run of this process has ended as well:
     * its last transition can be read before the run has told the engine's listeners of it
     * (on SQLite the commit is visible while its sync runs), and whoever waits expects the
     * chat card, GitHub's status and the metrics to be on their way.
     */
    async waitFor(id: string, signal?: AbortSignal, pollMs = 200): Promise<Deployment> {
      for (;;) {
        const d = await deps.store.getDeployment(id);
        if (!d) throw new Error(`deployment ${id} does not exist`);
        if (d.state === 'awaiting_approval') return d;
        if (isFinal(d.state) && !worker.inFlight().includes(id)) return d;
        if (signal?.aborted) return d;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;
