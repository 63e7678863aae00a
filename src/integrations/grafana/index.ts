import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { isFinal } from '../../core/deployment.js';
import { RetryableError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import type { EngineEvent, EngineListener } from '../../engine/events.js';
import type { Store } from '../../store/types.js';
import { createGrafanaClient, type GrafanaClient } from './client.js';
import { type SyncDeps, syncAnnotation } from './sync.js';

export { createGrafanaClient, GrafanaError } from './client.js';

export interface GrafanaAnnotationsDeps {
  events: { on(listener: EngineListener): () => void };
  store: Store;
  config: Config;
  /** GRAFANA_URL and GRAFANA_TOKEN; or a client (tests). */
  grafana: { url: string; token: string } | GrafanaClient;
  /** This process's id: it claims the annotations it creates by it. */
  processId: string;
  /** SLIPWAY_PUBLIC_URL, for the link to the deployment's page. */
  publicUrl?: string | undefined;
  log: Logger;
}

export interface GrafanaAnnotationsOptions {
  /** Tries per sync while Grafana is unreachable or busy; then the sweep tries again later. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often annotations left open (Grafana was down, a process died) are looked at. */
  sweepIntervalMs?: number;
  /** A creation left this long without an id was abandoned by a process that died. */
  staleClaimMs?: number;
}

export interface GrafanaAnnotations {
  /** Listens to the engine and finishes what was left open (a restart, another replica). */
  start(): void;
  /** Stops listening and retrying; what is under way finishes. */
  stop(): Promise<void>;
  /** Resolves once nothing is waiting or under way (for tests). */
  idle(): Promise<void>;
  /** Looks at the annotations left open now (the periodic sweep, at once). */
  sweep(): Promise<void>;
}

/** Open annotations read per sweep; the rest wait for the next one. */
const SWEEP_BATCH = 100;

/**
 * An annotation in Grafana for each deployment that ran (README.md in this folder): created
 * when it starts, its end and outcome written when it ends. It follows the engine's events and
 * never holds a deployment up: calls happen after the event, per deployment in order, retried
 * with backoff, and a failure is logged. What is left open is finished by a sweep, at start and
 * every few minutes, by whichever process runs it.
 */
export function createGrafanaAnnotations(
  deps: GrafanaAnnotationsDeps,
  options: GrafanaAnnotationsOptions = {},
): GrafanaAnnotations {
  const log = deps.log.child({ component: 'grafana' });
  const maxAttempts = options.maxAttempts ?? 6;
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 60_000;
  const sweepIntervalMs = options.sweepIntervalMs ?? 300_000;
  const client = 'create' in deps.grafana ? deps.grafana : createGrafanaClient(deps.grafana);
  const syncDeps: SyncDeps = {
    store: deps.store,
    client,
    config: deps.config,
    owner: deps.processId,
    staleAfterMs: options.staleClaimMs ?? 120_000,
    publicUrl: deps.publicUrl,
    log,
  };
  const queues = new Map<string, Promise<void>>();
  const stopping = new AbortController();
  let unsubscribe: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<void> | null = null;

  /** Runs a sync of `id` after the ones already waiting for it, in this process. */
  function enqueue(id: string): Promise<void> {
    const run = (queues.get(id) ?? Promise.resolve()).then(() => syncWithRetries(id));
    queues.set(id, run);
    void run.then(() => {
      if (queues.get(id) === run) queues.delete(id);
    });
    return run;
  }

  /**
   * A stop ends the waiting between tries, not a try under way (each call gives up after 10 s):
   * the end of a deployment the engine finished while stopping is still written.
   */
  async function syncWithRetries(id: string): Promise<void> {
    const dlog = log.child({ deployment: id });
    for (let attempt = 1; ; attempt++) {
      try {
        const done = await syncAnnotation(syncDeps, id);
        if (done !== 'none' && done !== 'current') dlog.debug({ done }, 'grafana annotation');
        return;
      } catch (err) {
        const retry = err instanceof RetryableError && attempt < maxAttempts;
        if (!retry || stopping.signal.aborted) {
          // Left open in the store: the next sweep, here or in another process, tries again.
          dlog.error({ err, attempt }, 'could not annotate the deployment in Grafana');
          return;
        }
        const pause = Math.min(retryMaxMs, err.retryAfterMs ?? retryBaseMs * 2 ** (attempt - 1));
        dlog.warn({ attempt, pause, reason: err.message }, 'grafana annotation retrying');
        await sleep(pause, stopping.signal);
      }
    }
  }

  function listener(event: EngineEvent): void {
    if (event.type !== 'transition') return;
    const { from, to } = event.transition;
    // The annotation starts when the driver is first asked to act, and ends with the outcome.
    const starts = to === 'running' && from !== 'running';
    if (!starts && !isFinal(to)) return;
    void enqueue(event.deployment.id);
  }

  async function sweep(): Promise<void> {
    sweeping ??= (async () => {
      try {
        const open = await deps.store.listOpenGrafanaAnnotations(SWEEP_BATCH);
        await Promise.all(open.map((row) => enqueue(row.deploymentId)));
      } catch (err) {
        log.error({ err }, 'could not look for open Grafana annotations');
      } finally {
        sweeping = null;
      }
    })();
    return sweeping;
  }

  return {
    start() {
      if (unsubscribe) return;
      unsubscribe = deps.events.on(listener);
      void sweep();
      timer = setInterval(() => void sweep(), sweepIntervalMs);
      timer.unref();
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      if (timer) clearInterval(timer);
      timer = null;
      stopping.abort();
      await sweeping;
      await Promise.all(queues.values());
    },
    async idle() {
      for (;;) {
        await sweeping;
        const waiting = [...queues.values()];
        if (waiting.length === 0) return;
        await Promise.all(waiting);
      }
    },
    sweep,
  };
}
