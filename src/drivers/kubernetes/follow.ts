import type { DriverOutcome } from '../types.js';
import type { KubernetesError } from './errors.js';
import { type Rollout, rolloutOf } from './rollout.js';
import type { Written } from './update.js';
import type { NamespaceWatcher, WatchNews } from './watcher.js';

export interface FollowRequest {
  watcher: NamespaceWatcher;
  namespace: string;
  targets: Written[];
  /** When the rollout must be complete (epoch ms); stored in the handle, so restarts keep it. */
  deadline: number;
  timeoutText: string;
  signal: AbortSignal;
  progress(text: string): void;
}

/**
 * Follows the rollout of every target through the shared watch until all are complete, one
 * fails (ProgressDeadlineExceeded, deleted, forbidden) or the deadline passes. A dropped
 * connection is not a failure: the watcher reconnects and the state is read afresh.
 */
export function followRollout(req: FollowRequest): Promise<DriverOutcome> {
  return new Promise<DriverOutcome>((resolve, reject) => {
    const states = new Map<string, Rollout | null>();
    let trouble: KubernetesError | null = null;
    const unsubscribe: (() => void)[] = [];
    let settled = false;
    const settle = (outcome: DriverOutcome | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal.removeEventListener('abort', onAbort);
      for (const off of unsubscribe) off();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = () => settle(new Error('aborted'));
    const timer = setTimeout(
      () => {
        const where = [...states.values()].map((s) => s?.detail ?? 'no news').join('; ');
        const last = trouble ? `; last trouble: ${trouble.message}` : '';
        settle({
          ok: false,
          reason: `not rolled out within ${req.timeoutText}: ${where || 'no news from the API server'}${last}`,
          changed: true,
        });
      },
      Math.max(0, req.deadline - Date.now()),
    );
    req.signal.addEventListener('abort', onAbort, { once: true });

    const evaluate = () => {
      if (settled || states.size < req.targets.length) return;
      const all = [...states.values()];
      const failed = all.find((s) => s?.state === 'failed');
      if (failed) return settle({ ok: false, reason: failed.detail, changed: true });
      const ready = all.reduce((n, s) => n + (s?.ready ?? 0), 0);
      const desired = all.reduce((n, s) => n + (s?.desired ?? 0), 0);
      if (all.every((s) => s?.state === 'complete')) {
        return settle({ ok: true, summary: `rolled out: ready ${ready} of ${desired}` });
      }
      req.progress(`rolling out: ready ${ready} of ${desired}`);
    };

    for (const target of req.targets) {
      if (settled) break;
      const onNews = (news: WatchNews) => {
        if (news.kind === 'trouble') {
          trouble = news.error;
          if (!news.error.retryable)
            return settle({ ok: false, reason: news.error.message, changed: true });
          req.progress(`waiting for the Kubernetes API: ${news.error.message}`);
          return;
        }
        if (!news.deployment) {
          // The Deployment was written just before this follow began, so it exists: a watch
          // already open may simply not have had the event of its creation yet. Only one seen
          // and then gone was deleted.
          if (!states.has(target.name)) return;
          return settle({
            ok: false,
            reason: `Deployment ${target.name} was deleted from namespace ${req.namespace} during the rollout`,
            changed: true,
          });
        }
        states.set(
          target.name,
          rolloutOf(news.deployment, target.generation, target.staleDeadline),
        );
        evaluate();
      };
      const off = req.watcher.subscribe(target.name, onNews);
      if (settled) off();
      else unsubscribe.push(off);
    }
  });
}
