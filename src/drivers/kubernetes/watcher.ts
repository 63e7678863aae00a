import { type V1Deployment, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClients } from './client.js';
import { explain, KubernetesError } from './errors.js';

/** What a subscriber hears: the Deployment as it is now (null: it does not exist), or trouble. */
export type WatchNews =
  | { kind: 'object'; deployment: V1Deployment | null }
  | { kind: 'trouble'; error: KubernetesError };

type Listener = (news: WatchNews) => void;

export interface WatcherTuning {
  /** Longest pause between reconnects. */
  maxBackoffMs: number;
  /** Asked of the API server, which ends the watch after it: a half-open connection heals. */
  watchSeconds: number;
  /**
   * How long the watch stays open once no rollout follows it, so that the next deployment in
   * the namespace finds the Deployments already listed and watched. 0: it closes at once.
   */
  idleMs: number;
}
const DEFAULT_TUNING: WatcherTuning = { maxBackoffMs: 5_000, watchSeconds: 240, idleMs: 0 };

/**
 * One list+watch of the Deployments of a namespace, shared by every rollout followed there, so
 * 200 rollouts in flight cost one connection, not 200 polling loops. Like client-go's reflector:
 * list, then watch from the list's resourceVersion, and again from the newest version seen when
 * a watch ends; on 410 Gone (the version expired) or a dropped connection, list again and
 * resume, telling subscribers the current state each time.
 */
export class NamespaceWatcher {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly objects = new Map<string, V1Deployment>();
  private running = false;
  private current: AbortController | null = null;
  private failures = 0;
  private epoch = 0;
  /** Whether `objects` holds a list's answer (and what the watch told since). */
  private listed = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly tuning: WatcherTuning;

  constructor(
    private readonly clients: KubeClients,
    private readonly namespace: string,
    private readonly log: Logger,
    tuning: Partial<WatcherTuning> = {},
    private readonly onIdle: () => void = () => {},
  ) {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
  }

  /** Calls `listener` with every change to Deployment `name`; returns the unsubscribe. */
  subscribe(name: string, listener: Listener): () => void {
    this.cancelIdle();
    const set = this.listeners.get(name) ?? new Set<Listener>();
    this.listeners.set(name, set);
    set.add(listener);
    if (this.running) {
      if (this.listed) listener({ kind: 'object', deployment: this.objects.get(name) ?? null });
    } else this.start();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(name);
      if (this.listeners.size === 0) this.idle();
    };
  }

  /**
   * Starts the list and watch now, ahead of the rollout that will follow them: the rollout then
   * hears of its Deployment without waiting for a list of the namespace.
   */
  warm(): void {
    if (!this.running) this.start();
    if (this.listeners.size === 0) this.idle();
  }

  /**
   * Deployment `name` as the watch last saw it, or null when it has not listed the namespace
   * (or has no such Deployment). It may trail the API server by a few milliseconds: a write
   * based on it must carry its resourceVersion, so the API server refuses it if it changed.
   */
  latest(name: string): V1Deployment | null {
    return this.running && this.listed ? (this.objects.get(name) ?? null) : null;
  }

  /** Closes the watch now, whoever follows it (the driver is shutting down). */
  close(): void {
    this.cancelIdle();
    if (this.running) this.stop();
  }

  private idle(): void {
    this.cancelIdle();
    if (this.tuning.idleMs <= 0) {
      this.stop();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.listeners.size === 0) this.stop();
    }, this.tuning.idleMs);
  }

  private cancelIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private start(): void {
    this.running = true;
    // A loop left from before a stop exits at its next step: only the newest one runs.
    this.epoch += 1;
    void this.loop(this.epoch);
  }

  private stop(): void {
    this.running = false;
    this.current?.abort();
    this.current = null;
    this.objects.clear();
    this.listed = false;
    this.onIdle();
  }

  private async loop(epoch: number): Promise<void> {
    // Where the next watch starts; null: from a fresh list.
    let resourceVersion: string | null = null;
    while (this.running && epoch === this.epoch) {
      try {
        if (resourceVersion === null) {
          resourceVersion = await this.list();
          this.failures = 0;
        }
        resourceVersion = await this.watch(resourceVersion);
      } catch (err) {
        resourceVersion = null;
        if (!this.running || epoch !== this.epoch) return;
        if (err instanceof RelistNeeded) continue;
        const error = explain(err, this.attempt('list'));
        this.failures += 1;
        this.log.warn(
          { err: error.message, failures: this.failures },
          'deployment watch interrupted',
        );
        this.broadcast({ kind: 'trouble', error });
        const pause = Math.min(this.tuning.maxBackoffMs, 200 * 2 ** Math.min(this.failures, 8));
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  private async list(): Promise<string> {
    const list = await this.clients.apps.listNamespacedDeployment({ namespace: this.namespace });
    this.objects.clear();
    for (const item of list.items) {
      const name = item.metadata?.name;
      if (name) this.objects.set(name, item);
    }
    this.listed = true;
    for (const [name, set] of this.listeners) {
      const news: WatchNews = { kind: 'object', deployment: this.objects.get(name) ?? null };
      for (const listener of set) listener(news);
    }
    return list.metadata?.resourceVersion ?? '';
  }

  /**
   * Resolves with the newest resourceVersion seen when the watch ends without trouble: the
   * server's timeout, or the client closing a quiet connection. The loop watches on from there.
   */
  private watch(resourceVersion: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      let newest = resourceVersion;
      // Whether the API server answered the watch: Watch.watch() resolves only after it did,
      // and reports a refused or unanswered request to `done` before that.
      let answered = false;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        this.current?.abort();
        if (err) reject(err);
        else resolve(newest);
      };
      // A connection that went quiet past the server's own deadline is dead, not idle.
      const guard = setTimeout(() => finish(null), (this.tuning.watchSeconds + 30) * 1_000);
      const path = `/apis/apps/v1/namespaces/${encodeURIComponent(this.namespace)}/deployments`;
      new Watch(this.clients.config)
        .watch(
          path,
          { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.tuning.watchSeconds },
          (type: string, object: unknown) => {
            const failure = this.onEvent(type, object);
            if (failure) return finish(failure);
            newest = versionOf(object) ?? newest;
          },
          (err: unknown) => {
            // client-node closes a watch that has been silent for 30 s with a TimeoutError,
            // and the API server sends a bookmark only about once a minute: in a namespace
            // where nothing changes that is the normal end of a watch, not trouble.
            const quiet = answered && (err as Error | null)?.name === 'TimeoutError';
            finish(this.running && !quiet ? watchError(err, this.namespace) : null);
          },
        )
        .then((controller) => {
          answered = true;
          if (settled || !this.running) controller.abort();
          else this.current = controller;
        }, finish);
    });
  }

  /** Applies one watch event; returns an error when the watch must restart from a new list. */
  private onEvent(type: string, object: unknown): Error | null {
    if (type === 'ERROR') {
      const status = object as { code?: number; message?: string };
      // 410 Gone: our resourceVersion is older than etcd keeps. Not trouble: relist.
      return new RelistNeeded(status.message ?? `watch error ${status.code ?? ''}`);
    }
    if (type === 'BOOKMARK') return null;
    const deployment = object as V1Deployment;
    const name = deployment.metadata?.name;
    if (!name) return null;
    if (type === 'DELETED') this.objects.delete(name);
    else this.objects.set(name, deployment);
    const set = this.listeners.get(name);
    if (set) {
      const news: WatchNews = {
        kind: 'object',
        deployment: type === 'DELETED' ? null : deployment,
      };
      for (const listener of set) listener(news);
    }
    return null;
  }

  private broadcast(news: WatchNews): void {
    for (const set of this.listeners.values()) for (const listener of set) listener(news);
  }

  private attempt(verb: 'list' | 'watch') {
    return {
      verb,
      resource: 'deployments',
      group: 'apps',
      namespace: this.namespace,
      server: this.clients.server,
    } as const;
  }
}

class RelistNeeded extends KubernetesError {
  constructor(message: string) {
    super(message, 410, true);
  }
}

function versionOf(object: unknown): string | undefined {
  return (object as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
}

function watchError(err: unknown, namespace: string): unknown {
  if (!err) return null;
  const status = (err as { statusCode?: number }).statusCode;
  // The version to resume from expired before the watch was answered: list again.
  if (status === 410) return new RelistNeeded('watch answered 410 Gone');
  if (status === 403)
    return new KubernetesError(
      `Slipway may not watch deployments in namespace ${namespace}: add "watch" on "deployments" (apiGroups: ["apps"]) to its Role, as in deploy/kubernetes/rbac.yaml.`,
      403,
      false,
    );
  return err;
}

/**
 * One watcher per cluster and namespace, shared by every rollout followed there (a watch per
 * namespace, not per deployment); a watcher that goes idle is dropped.
 */
export function namespaceWatchers(log: Logger, tuning?: Partial<WatcherTuning>): WatcherPool {
  const watchers = new Map<string, NamespaceWatcher>();
  const pool = (clients: KubeClients, namespace: string) => {
    const key = `${clients.key}|${namespace}`;
    let watcher = watchers.get(key);
    if (!watcher) {
      watcher = new NamespaceWatcher(clients, namespace, log.child({ namespace }), tuning, () =>
        watchers.delete(key),
      );
      watchers.set(key, watcher);
    }
    return watcher;
  };
  return Object.assign(pool, {
    close() {
      for (const watcher of [...watchers.values()]) watcher.close();
    },
  });
}

export interface WatcherPool {
  (clients: KubeClients, namespace: string): NamespaceWatcher;
  /** Closes every watch (the driver is shutting down). */
  close(): void;
}
