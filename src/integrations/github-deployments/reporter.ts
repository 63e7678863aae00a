import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { type Deployment, isFinal } from '../../core/deployment.js';
import { RetryableError } from '../../core/errors.js';
import type { EngineEvent, EngineListener } from '../../engine/events.js';
import { previewUrl } from '../../features/review/engine-state.js';
import type { GitHubDeploymentRecord, Store } from '../../store/types.js';
import { Busy, reportClaims } from './claims.js';
import { type DeploymentsApi, GitHubRefusal, type NewStatus } from './client.js';
import { aftermathOf, logLinks, replacedBy } from './facts.js';
import { type PlannedStatus, plannedStatuses } from './plan.js';
import { refusedCreate, refusedStatus } from './refusals.js';
import { targetOf } from './target.js';

export interface ReporterDeps {
  /** The engine's event bus (`engine.events`). */
  events: { on(listener: EngineListener): () => void };
  store: Store;
  config: Config;
  api: DeploymentsApi;
  log: Logger;
  /** This process, as it claims a deployment's report. */
  processId: string;
  /** SLIPWAY_PUBLIC_URL: a status links to the deployment's page of the dashboard. */
  publicUrl?: string | undefined;
  /** Without a dashboard address: the link to the deployment's chat card, when it has one. */
  permalink?: (ref: { channel: string; ts: string }) => Promise<string | null>;
  /** Reporting a deployment was given up (a ref GitHub does not know, a refused token). */
  onGivenUp?(): void;
  now?: () => Date;
}

export interface ReporterOptions {
  /** First wait after a failed call when GitHub says nothing about waiting; doubles each time. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Tries of one deployment's report before waiting for its next change (or a restart). */
  maxAttempts?: number;
  /** How long a process holds a report while it posts to GitHub. */
  claimMs?: number;
  /** How soon a report another process holds is looked at again. */
  busyRetryMs?: number;
}

export interface Reporter {
  /** Follows engine events, and finishes the reports a stopped process left open. */
  start(): Promise<void>;
  /**
   * Stops following events. Calls under way get `graceMs` to finish (the final states of what
   * the engine was running); then they are abandoned, and retries waiting are left, for the
   * next start to finish from the store.
   */
  stop(graceMs?: number): Promise<void>;
  /** Resolves once nothing is under way or waiting to be retried (for tests). */
  idle(): Promise<void>;
}

interface Tracked {
  running: Promise<void> | null;
  again: boolean;
  attempts: number;
  timer: NodeJS.Timeout | null;
  /** A status post failed in a way that may have reached GitHub: look before posting again. */
  unsure: boolean;
}

/**
 * Reports each deployment of a service with `github:` to GitHub's Deployments API: creates the
 * GitHub deployment when the request is recorded, then posts the statuses its transitions call
 * for, in order (plan.ts). Everything it knows is in the store (github_deployments), so a restart
 * or another replica goes on where this one stopped; one deployment is reported by one process
 * at a time (a claim in that row). GitHub being slow or down never touches the deployment
 * itself: events are handed over at once, and a failed call is tried again later with backoff.
 */
export function createGitHubDeploymentReporter(
  deps: ReporterDeps,
  options: ReporterOptions = {},
): Reporter {
  const log = deps.log;
  const now = deps.now ?? (() => new Date());
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 300_000;
  const maxAttempts = options.maxAttempts ?? 10;
  const claimMs = options.claimMs ?? 120_000;
  const busyRetryMs = options.busyRetryMs ?? 1_000;
  const tracked = new Map<string, Tracked>();
  const logUrlOf = logLinks(deps);
  const { claim, save, release } = reportClaims({
    store: deps.store,
    processId: deps.processId,
    claimMs,
    now,
  });
  let controller = new AbortController();
  let unsubscribe: (() => void) | null = null;
  /** Stopping: nothing new is scheduled, and a failed call waits for the next start. */
  let stopping = false;

  function schedule(id: string): void {
    if (stopping) return;
    let t = tracked.get(id);
    if (!t) {
      t = { running: null, again: false, attempts: 0, timer: null, unsure: false };
      tracked.set(id, t);
    }
    if (t.timer) clearTimeout(t.timer);
    t.timer = null;
    if (t.running) {
      t.again = true;
      return;
    }
    const entry = t;
    entry.running = run(id, entry).finally(() => {
      entry.running = null;
      if (!entry.timer && !entry.again) tracked.delete(id);
    });
  }

  async function run(id: string, t: Tracked): Promise<void> {
    do {
      t.again = false;
      try {
        const next = await report(id, t);
        t.attempts = 0;
        for (const other of next) schedule(other);
      } catch (err) {
        if (stopping) return;
        retryLater(id, t, err);
        return;
      }
    } while (t.again && !stopping);
  }

  function retryLater(id: string, t: Tracked, err: unknown): void {
    const busy = err instanceof Busy;
    if (!busy) t.attempts++;
    const dlog = log.child({ deployment: id });
    if (t.attempts >= maxAttempts) {
      dlog.warn(
        { err, tries: t.attempts },
        'could not report to GitHub; trying again at its next change or at the next start',
      );
      t.attempts = 0;
      return;
    }
    const asked = err instanceof RetryableError ? err.retryAfterMs : undefined;
    const wait = busy
      ? busyRetryMs
      : Math.min(retryMaxMs, asked ?? retryBaseMs * 2 ** (t.attempts - 1));
    if (!busy)
      dlog.warn(
        {
          reason: err instanceof Error ? err.message : String(err),
          waitMs: wait,
          tries: t.attempts,
        },
        'could not report to GitHub; retrying',
      );
    t.timer = setTimeout(() => {
      t.timer = null;
      schedule(id);
    }, wait);
  }

  /** One pass over a deployment's report; returns the deployments whose report it affects. */
  async function report(id: string, t: Tracked): Promise<string[]> {
    const d = await deps.store.getDeployment(id);
    const target = d ? targetOf(deps.config, d) : null;
    if (!d || !target) return [];
    const existing = await deps.store.getGitHubDeployment(id);
    if (existing && (existing.givenUp !== null || !existing.open)) return [];
    let rec = await claim(d, target, existing);
    try {
      if (rec.githubId === null) {
        rec = await create(d, rec);
        if (rec.githubId === null) return [];
      }
      const planned = plannedStatuses(
        d,
        await deps.store.listTransitions(d.id),
        await aftermathOf(deps.store, d, rec),
      );
      for (let i = rec.statuses; i < planned.length; i++) {
        const status = planned[i] as PlannedStatus;
        const refused = await post(d, rec, status, t);
        if (refused) {
          rec = refused;
          return [];
        }
        rec = await save(rec, {
          statuses: i + 1,
          lastState: status.state,
          open: !(isFinal(d.state) && i === planned.length - 1 && status.state !== 'success'),
        });
      }
      return planned.at(-1)?.state === 'success' ? await replacedBy(deps.store, d, rec) : [];
    } finally {
      await release(rec);
    }
  }

  /** Creates the GitHub deployment, or finds the one an answer lost on the way created. */
  async function create(
    d: Deployment,
    rec: GitHubDeploymentRecord,
  ): Promise<GitHubDeploymentRecord> {
    const signal = controller.signal;
    const tried = rec.createTried ? rec : await save(rec, { createTried: true });
    try {
      if (rec.createTried) {
        const found = await deps.api.find(
          rec.repository,
          { environment: rec.githubEnvironment, ref: rec.ref, slipwayId: d.id },
          signal,
        );
        if (found !== null) return save(tried, { githubId: found });
      }
      const created = await deps.api.create(
        rec.repository,
        {
          ref: rec.ref,
          environment: rec.githubEnvironment,
          description:
            d.kind === 'rollback'
              ? `roll back ${d.service} in ${d.environment} to ${d.version}`
              : `deploy ${d.service} ${d.version} to ${d.environment}`,
          payload: {
            slipway: {
              deploymentId: d.id,
              correlationId: d.correlationId,
              requestedBy: d.requestedBy,
            },
          },
          productionEnvironment: rec.production,
          transientEnvironment: rec.transient,
        },
        signal,
      );
      if (!created.created)
        throw new RetryableError(`GitHub merged instead of deploying (${created.merged})`);
      log.info(
        { deployment: d.id, repository: rec.repository, githubId: created.id, ref: rec.ref },
        'GitHub deployment created',
      );
      return save(tried, { githubId: created.id });
    } catch (err) {
      if (!(err instanceof GitHubRefusal)) throw err;
      return giveUp(tried, refusedCreate(err, tried));
    }
  }

  /** Posts one status; when GitHub refused it for good, the report given up is returned. */
  async function post(
    d: Deployment,
    rec: GitHubDeploymentRecord,
    status: PlannedStatus,
    t: Tracked,
  ): Promise<GitHubDeploymentRecord | null> {
    const signal = controller.signal;
    const id = rec.githubId as number;
    if (t.unsure) {
      // The last try may have reached GitHub before its answer was lost: look first.
      const newest = (await deps.api.statuses(rec.repository, id, signal)).at(-1);
      t.unsure = false;
      if (newest && newest.state === status.state && newest.description === status.description)
        return null;
    }
    const body: NewStatus = {
      state: status.state,
      description: status.description,
      ...(await links(d, status)),
    };
    try {
      await deps.api.postStatus(rec.repository, id, body, signal);
      return null;
    } catch (err) {
      if (err instanceof GitHubRefusal) return giveUp(rec, refusedStatus(err, rec, status));
      // No answer, or a 5xx from GitHub or a proxy in front of it: the status may be there.
      const answered = err instanceof RetryableError ? err.details?.status : undefined;
      t.unsure = typeof answered !== 'number' || answered >= 500;
      throw err;
    }
  }

  async function links(
    d: Deployment,
    status: PlannedStatus,
  ): Promise<Pick<NewStatus, 'logUrl' | 'environmentUrl' | 'autoInactive'>> {
    let logUrl: string | null = null;
    try {
      logUrl = await logUrlOf(d);
    } catch (err) {
      log.debug({ err, deployment: d.id }, 'no chat permalink for the GitHub status');
    }
    if (status.state !== 'success') return logUrl ? { logUrl } : {};
    const environmentUrl = previewUrl(d) ?? targetOf(deps.config, d)?.url ?? null;
    return {
      ...(logUrl ? { logUrl } : {}),
      ...(environmentUrl ? { environmentUrl } : {}),
      // Slipway retires what a success replaced itself (facts.ts): GitHub's own rule would also
      // retire another service's deployment that shares the environment's name in the repository.
      autoInactive: false,
    };
  }

  async function giveUp(
    rec: GitHubDeploymentRecord,
    reason: string,
  ): Promise<GitHubDeploymentRecord> {
    log.warn(
      { deployment: rec.deploymentId, repository: rec.repository, reason },
      'not reporting this deployment to GitHub',
    );
    deps.onGivenUp?.();
    return save(rec, { givenUp: reason, open: false });
  }

  function listener(event: EngineEvent): void {
    if (event.type === 'transition' || event.type === 'review_closed') {
      if (targetOf(deps.config, event.deployment)) schedule(event.deployment.id);
    }
  }

  return {
    async start() {
      if (unsubscribe) return;
      stopping = false;
      if (controller.signal.aborted) controller = new AbortController();
      unsubscribe = deps.events.on(listener);
      try {
        const open = await deps.store.listGitHubDeployments({ open: true, limit: 500 });
        for (const rec of open) schedule(rec.deploymentId);
      } catch (err) {
        log.warn({ err }, 'could not look for GitHub reports left open');
      }
    },
    async stop(graceMs = 5_000) {
      stopping = true;
      unsubscribe?.();
      unsubscribe = null;
      for (const t of tracked.values()) {
        if (t.timer) clearTimeout(t.timer);
        t.timer = null;
      }
      const running = Promise.all([...tracked.values()].map((t) => t.running));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        running,
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      controller.abort();
      await running;
      tracked.clear();
    },
    async idle() {
      for (;;) {
        const entries = [...tracked.values()];
        if (entries.length === 0) return;
        await Promise.all(entries.map((t) => t.running));
        if (![...tracked.values()].some((t) => t.running || t.timer)) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
