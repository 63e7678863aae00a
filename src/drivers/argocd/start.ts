import type { Logger } from 'pino';
import { sleep } from '../../core/sleep.js';
import { autoSyncOn } from './auto-sync.js';
import type { AppRef, ArgoCdClient, SyncRequest } from './client.js';
import { ArgoCdError } from './errors.js';
import { describeApp, RUNNING, TAG_INFO, tagged } from './judge.js';
import { fingerprint, type Override, versionIn } from './override.js';
import type { Application } from './schema.js';

export interface Starter {
  client: ArgoCdClient;
  ref: AppRef;
  /** When to stop waiting for someone else's operation. */
  deadline: number;
  timeoutText: string;
  pollMs: number;
  signal: AbortSignal;
  log: Logger;
  progress(text: string): void;
}

/** Slipway's sync for `tag` was requested (pending, running or done): never request it twice. */
export function ourSync(app: Application, tag: string): boolean {
  return tagged(app.operation, tag) || tagged(app.status?.operationState?.operation, tag);
}

/** A rollback to the history entry with source `source` is requested or running. */
export function rollbackUnderway(app: Application, source: string | null): boolean {
  const state = app.status?.operationState;
  const running = state && RUNNING.has(state.phase) ? state.operation : null;
  return [app.operation, running].some(
    (op) => op?.sync?.source && fingerprint(op.sync.source) === source,
  );
}

/** Nothing to do: synced at `version`, healthy, and no operation in the way. */
export function settledAt(app: Application, override: Override, version: string): boolean {
  const status = app.status;
  const state = status?.operationState;
  return (
    !app.operation &&
    !(state && RUNNING.has(state.phase)) &&
    status?.sync?.status === 'Synced' &&
    versionIn(status.sync.comparedTo?.source ?? app.spec.source, override) === version &&
    status.health?.status === 'Healthy'
  );
}

export function syncRequest(
  app: Application,
  tag: string,
  prune: boolean,
  by: string,
): SyncRequest {
  return {
    // Argo CD refuses another revision than the target one under automated sync; this one is
    // what the application tracks anyway, named so the operation records it.
    revision: app.spec.source?.targetRevision ?? undefined,
    prune,
    infos: [
      { name: TAG_INFO, value: tag },
      { name: 'requested-by', value: `${by} via Slipway` },
    ],
  };
}

/**
 * Requests Slipway's sync. Argo CD runs one operation at a time: when another is in progress,
 * a sync of ours whose answer was lost (5xx after the fact) is recognised by its tag, automated
 * sync is left to take the new version itself, and anything else is waited out until the deadline.
 */
export async function startSync(s: Starter, request: SyncRequest, tag: string): Promise<void> {
  await whenFree(
    s,
    'sync',
    () => s.client.sync(s.ref, request, s.signal),
    (app) => {
      if (ourSync(app, tag)) return true;
      return autoSyncOn(app);
    },
  );
  s.log.info({ application: s.ref.name, tag }, 'argocd sync requested');
}

/** Requests the rollback to history entry `id` (whose source has fingerprint `source`). */
export async function startRollback(
  s: Starter,
  id: number,
  source: string | null,
  prune: boolean,
): Promise<void> {
  await whenFree(
    s,
    'rollback',
    () => s.client.rollback(s.ref, id, prune, s.signal),
    (app) => rollbackUnderway(app, source),
  );
  s.log.info({ application: s.ref.name, id }, 'argocd rollback requested');
}

async function whenFree(
  s: Starter,
  what: string,
  request: () => Promise<unknown>,
  done: (app: Application) => boolean,
): Promise<void> {
  for (;;) {
    try {
      await request();
      return;
    } catch (err) {
      if (!(err instanceof ArgoCdError && err.refusal === 'busy')) throw err;
    }
    const app = await s.client.get(s.ref, s.signal);
    if (done(app)) return;
    if (Date.now() >= s.deadline) {
      throw new ArgoCdError(
        `Another operation kept ${s.ref.name} busy for ${s.timeoutText}, so Slipway could not ${what} it: see it in Argo CD, and terminate it if it is stuck.`,
        'busy',
        400,
      );
    }
    s.progress(`waiting for another operation on ${s.ref.name} to finish; ${describeApp(app)}`);
    await sleep(s.pollMs, s.signal);
    if (s.signal.aborted) throw new Error('aborted');
  }
}
