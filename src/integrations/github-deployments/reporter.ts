import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { type Deployment, isFinal } from '../../core/deployment.js';
import { RetryableError } from '../../core/errors.js';
import { deploymentSubject } from '../../core/message-subject.js';
import type { EngineEvent, EngineListener } from '../../engine/events.js';
import { previewUrl } from '../../features/review/engine-state.js';
import type { GitHubDeploymentRecord, Store } from '../../store/types.js';
import { type DeploymentsApi, GitHubRefusal, type NewStatus } from './client.js';
import { type Aftermath, type PlannedStatus, plannedStatuses } from './plan.js';
import { refFor, slotOf, type Target, targetOf } from './target.js';

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

/** Another process is reporting this deployment right now. */
class Busy extends Error {}

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
  const permalinks = new Map<string, string>();
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
        await aftermath(d, rec),
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
      return planned.at(-1)?.state === 'success' ? await replaced(d, rec) : [];
    } finally {
      await release(rec);
    }
  }

  /** Takes the report for this process (inserting it the first time), or throws Busy. */
  async function claim(
    d: Deployment,
    target: Target,
    found: GitHubDeploymentRecord | null,
  ): Promise<GitHubDeploymentRecord> {
    const until = new Date(now().getTime() + claimMs);
    let current = found;
    if (!current) {
      const inserted = await deps.store.saveGitHubDeployment(
        {
          deploymentId: d.id,
          repository: target.repository,
          service: d.service,
          environment: d.environment,
          version: d.version,
          slot: slotOf(d, target.transient),
          ref: await refFor(deps.store, d, target.repository),
          githubEnvironment: target.githubEnvironment,
          transient: target.transient,
          production: target.production,
          githubId: null,
          createTried: false,
          statuses: 0,
          lastState: null,
          open: true,
          givenUp: null,
          claimedBy: deps.processId,
          claimedUntil: until,
          at: now(),
        },
        0,
      );
      if (inserted) return inserted;
      current = await deps.store.getGitHubDeployment(d.id);
      if (!current) throw new Busy();
    }
    const holder = current.claimedBy;
    if (
      holder &&
      holder !== deps.processId &&
      (current.claimedUntil?.getTime() ?? 0) > now().getTime()
    )
      throw new Busy();
    const claimed = await deps.store.saveGitHubDeployment(
      { ...current, claimedBy: deps.processId, claimedUntil: until, at: now() },
      current.revision,
    );
    if (!claimed) throw new Busy();
    return claimed;
  }

  async function release(rec: GitHubDeploymentRecord): Promise<void> {
    try {
      await save(rec, { claimedBy: null, claimedUntil: null });
    } catch (err) {
      // The claim lapses by itself; another process waits at most claimMs.
      log.debug({ err, deployment: rec.deploymentId }, 'could not release a GitHub report');
    }
  }

  async function save(
    rec: GitHubDeploymentRecord,
    changes: Partial<GitHubDeploymentRecord>,
  ): Promise<GitHubDeploymentRecord> {
    const saved = await deps.store.saveGitHubDeployment(
      { ...rec, ...changes, at: now() },
      rec.revision,
    );
    // Only a process whose claim lapsed while it waited on GitHub gets here.
    if (!saved) throw new Busy();
    return saved;
  }

  /** Creates the GitHub deployment, or finds the one an answer lost on the way created. */
  async function create(
    d: Deployment,
    rec: GitHubDeploymentRecord,
  ): Promise<GitHubDeploymentRecord> {
    const signal = controller.signal;
    if (rec.createTried) {
      const found = await deps.api.find(
        rec.repository,
        { environment: rec.githubEnvironment, ref: rec.ref, slipwayId: d.id },
        signal,
      );
      if (found !== null) return save(rec, { githubId: found });
    }
    const tried = rec.createTried ? rec : await save(rec, { createTried: true });
    try {
      const created = await deps.api.create(
        rec.repository,
        {
          ref: rec.ref,
          environment: rec.githubEnvironment,
          description: `${d.kind === 'rollback' ? 'roll back' : 'deploy'} ${d.service} ${d.version} to ${d.environment}`,
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
    const logUrl = await logUrlOf(d);
    if (status.state !== 'success') return logUrl ? { logUrl } : {};
    const environmentUrl = previewUrl(d) ?? targetOf(deps.config, d)?.url ?? null;
    return {
      ...(logUrl ? { logUrl } : {}),
      ...(environmentUrl ? { environmentUrl } : {}),
      // Slipway marks what a success replaced itself (`replaced`): GitHub's own rule would also
      // retire another service's deployment that shares the environment's name in the repository.
      autoInactive: false,
    };
  }

  /** The dashboard's page of the deployment, else its chat card, else none. */
  async function logUrlOf(d: Deployment): Promise<string | null> {
    if (deps.publicUrl) return `${deps.publicUrl}/deployments/${encodeURIComponent(d.id)}`;
    const known = permalinks.get(d.id);
    if (known || !deps.permalink) return known ?? null;
    try {
      const messages = await deps.store.listPostedMessages(deploymentSubject(d.id));
      const card = messages.find((m) => m.purpose === 'main' && m.ts !== null);
      const link = card?.ts ? await deps.permalink({ channel: card.channel, ts: card.ts }) : null;
      if (link && /^https?:\/\//.test(link)) permalinks.set(d.id, link);
      return link && /^https?:\/\//.test(link) ? link : null;
    } catch (err) {
      log.debug({ err, deployment: d.id }, 'no chat permalink for the GitHub status');
      return null;
    }
  }

  /** What retired a successful deployment since: a newer success in its slot, or a teardown. */
  async function aftermath(d: Deployment, rec: GitHubDeploymentRecord): Promise<Aftermath> {
    if (d.state !== 'succeeded') return {};
    if (rec.transient) {
      const decision = await deps.store.getReviewDecision(d.id);
      if (decision?.decision === 'closed') return { tornDownBy: decision.actor };
    }
    const newer = await deps.store.listDeployments({
      service: d.service,
      environment: d.environment,
      states: ['succeeded'],
      limit: 20,
    });
    const finished = d.finishedAt?.getTime() ?? 0;
    const replacedBy = newer
      .filter((x) => x.id !== d.id && slotOf(x, rec.transient) === rec.slot)
      .filter((x) => (x.finishedAt?.getTime() ?? 0) > finished)
      .sort((a, b) => (a.finishedAt?.getTime() ?? 0) - (b.finishedAt?.getTime() ?? 0))[0];
    return { replacedBy: replacedBy ?? null };
  }

  /** The reports still showing success in the slot `d` just took: each is retired in turn. */
  async function replaced(d: Deployment, rec: GitHubDeploymentRecord): Promise<string[]> {
    const live = await deps.store.listGitHubDeployments({
      service: d.service,
      environment: d.environment,
      slot: rec.slot,
      lastState: 'success',
      open: true,
      limit: 20,
    });
    return live.filter((r) => r.deploymentId !== d.id).map((r) => r.deploymentId);
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

function refusedCreate(err: GitHubRefusal, rec: GitHubDeploymentRecord): string {
  const repo = rec.repository;
  const said = err.message;
  switch (err.httpStatus) {
    case 422:
      if (/no ref found/i.test(said))
        return `GitHub has no ref "${rec.ref}" in ${repo} (${said}): have CI send the build's commit to /hooks/build ("commit"), or tag ${repo} with the versions Slipway deploys`;
      return `GitHub refused the deployment of "${rec.ref}" to ${rec.githubEnvironment} in ${repo} (${said})`;
    case 409:
      return `GitHub refused the deployment of "${rec.ref}" in ${repo} (${said})`;
    case 401:
      return `GitHub rejected Slipway's token (${said}): set GITHUB_TOKEN (or GITHUB_TOKEN_FILE) to a valid token with deployments:write on ${repo}`;
    case 403:
      return `GitHub refused to create a deployment in ${repo} (${said}): give Slipway's token deployments:write on it (fine-grained: "Deployments" read and write; classic: repo_deployment), or the GitHub App the Deployments permission`;
    case 404:
      return `GitHub found no repository ${repo} (${said}): check services[].github.repository, and that Slipway's token or GitHub App can see it`;
    default:
      return `GitHub refused to create the deployment in ${repo} (${said})`;
  }
}

function refusedStatus(
  err: GitHubRefusal,
  rec: GitHubDeploymentRecord,
  status: PlannedStatus,
): string {
  if (err.httpStatus === 404)
    return `GitHub deployment ${rec.githubId} in ${rec.repository} is gone (${err.message}): it was deleted on GitHub`;
  return `GitHub refused the ${status.state} status of deployment ${rec.githubId} in ${rec.repository} (${err.message})`;
}
