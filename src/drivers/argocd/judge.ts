import { fingerprint, type Override, versionIn } from './override.js';
import type { Application, HistoryEntry, Operation, OperationState } from './schema.js';

/** Info name on the operations Slipway starts; the value is `<deployment id>/<phase>`. */
export const TAG_INFO = 'slipway.dev/deployment';

/** What `watch` waits for; stored in the handle, so any process judges the same way. */
export interface Expectation {
  phase: 'deploy' | 'rollback';
  /** Value of the TAG_INFO info on Slipway's own sync. */
  tag: string;
  /** The version the override should install (null: unknown, e.g. a history entry from before Slipway). */
  version: string | null;
  /** Rollback: fingerprint of the history entry's source, which the rollback operation carries. */
  source: string | null;
  /** startedAt of the operation that was last when Slipway began: it and older ones are not ours. */
  priorOp: string | null;
  /** Nothing was started: the application already was as wanted; only its health is awaited. */
  settled: boolean;
}

export type Verdict =
  | { state: 'waiting'; text: string }
  | { state: 'failed'; reason: string }
  | { state: 'succeeded'; revision: string | null; historyId: number | null; detail: string };

export const RUNNING: ReadonlySet<string> = new Set(['Running', 'Terminating']);

/**
 * Decides, from one look at the application, whether the work behind `exp` is done. Stateful
 * only for one thing: how long a Degraded health of uncertain age has been seen (below).
 */
export function createJudge(
  exp: Expectation,
  override: Override,
  settleMs: number,
  now: () => number = Date.now,
) {
  let doubtfulSince: number | null = null;
  const what = exp.phase === 'deploy' ? 'sync' : 'rollback';

  return function judge(app: Application): Verdict {
    const status = app.status;
    const state = status?.operationState ?? null;
    const name = app.metadata.name;
    const looks = describeApp(app);
    if (state && RUNNING.has(state.phase)) {
      const who = isOurs(exp, override, state) ? what : 'another operation';
      const said = state.message ? ` (${state.message})` : '';
      return { state: 'waiting', text: `${who} ${state.phase}${said}; ${looks}` };
    }
    if (app.operation) {
      const who = tagged(app.operation, exp.tag) ? `${what} requested` : 'an operation is queued';
      return { state: 'waiting', text: `${who}, waiting for Argo CD's application controller` };
    }
    const mine = state !== null && isOurs(exp, override, state);
    if (!mine && !exp.settled) {
      return { state: 'waiting', text: `waiting for the ${what} to start; ${looks}` };
    }
    if (mine && (state.phase === 'Failed' || state.phase === 'Error')) {
      const how = state.phase === 'Error' ? 'ended in an error' : 'failed';
      return {
        state: 'failed',
        reason: `the ${what} of ${name} ${how}: ${state.message || 'Argo CD gave no reason'}`,
      };
    }
    // Health is assessed when Argo CD reconciles; one from before the operation finished says
    // nothing of it. `argocd app wait` waits the same way (reconciledAt not before finishedAt).
    const assessed = mine ? order(status?.reconciledAt, state.finishedAt) : 'after';
    if (assessed === 'before') {
      return { state: 'waiting', text: `${what} done; waiting for Argo CD to assess health` };
    }
    const health = status?.health?.status ?? 'Unknown';
    if (health === 'Degraded' || health === 'Missing') {
      // Argo CD's times have whole seconds: in the second the operation finished, the health may
      // still be the one from before. Believe it once it outlasts a short settling time.
      if (assessed === 'same') {
        doubtfulSince ??= now();
        if (now() - doubtfulSince < settleMs) {
          return { state: 'waiting', text: `${health} as last assessed; checking again. ${looks}` };
        }
      }
      return { state: 'failed', reason: `${name} is ${health} after the ${what}: ${looks}` };
    }
    doubtfulSince = null;
    if (exp.phase === 'deploy') {
      const sync = status?.sync;
      const target = mine ? state.syncResult?.revision : null;
      const atVersion = versionIn(sync?.comparedTo?.source ?? app.spec.source, override);
      if (
        sync?.status !== 'Synced' ||
        atVersion !== exp.version ||
        (target && sync.revision !== target)
      ) {
        return { state: 'waiting', text: `waiting for Synced at ${exp.version}; ${looks}` };
      }
    }
    if (health !== 'Healthy') return { state: 'waiting', text: looks };
    const revision = (mine ? state.syncResult?.revision : null) ?? status?.sync?.revision ?? null;
    return {
      state: 'succeeded',
      revision,
      historyId: historyIdOf(status?.history ?? [], mine ? state : null),
      detail: looks,
    };
  };
}

/** Whether the operation in `state` is the one `exp` waits for. */
export function isOurs(exp: Expectation, override: Override, state: OperationState): boolean {
  if (tagged(state.operation, exp.tag)) return true;
  if (exp.priorOp && !(time(state.startedAt) > time(exp.priorOp))) return false;
  if (exp.phase === 'rollback') {
    return exp.source !== null && fingerprint(state.operation?.sync?.source) === exp.source;
  }
  const source = state.syncResult?.source ?? state.operation?.sync?.source;
  return exp.version !== null && versionIn(source, override) === exp.version;
}

export function tagged(op: Operation | null | undefined, tag: string): boolean {
  return op?.info?.some((i) => i.name === TAG_INFO && i.value === tag) ?? false;
}

function time(text: string | null | undefined): number {
  const at = text ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? Number.NEGATIVE_INFINITY : at;
}

function order(reconciled: string | null | undefined, finished: string | null | undefined) {
  const r = time(reconciled);
  const f = time(finished);
  if (f === Number.NEGATIVE_INFINITY) return 'after';
  return r > f ? 'after' : r === f ? 'same' : 'before';
}

/** The history entry an operation wrote (same start time), else the newest. */
export function historyIdOf(
  history: readonly HistoryEntry[],
  state: OperationState | null,
): number | null {
  const started = state ? time(state.startedAt) : Number.NaN;
  const written = history.find((h) => time(h.deployStartedAt) === started);
  if (written) return written.id;
  return history.reduce<number | null>((max, h) => (max === null || h.id > max ? h.id : max), null);
}

/** "Synced at 1a2b3c4, Progressing: …; not healthy yet: Deployment web (Progressing)". */
export function describeApp(app: Application): string {
  const status = app.status;
  const sync = status?.sync?.status ?? 'Unknown';
  const revision = status?.sync?.revision ? ` at ${shortRevision(status.sync.revision)}` : '';
  const health = status?.health?.status ?? 'Unknown';
  const said = status?.health?.message ? `: ${status.health.message}` : '';
  const waiting = (status?.resources ?? [])
    .filter((r) => r.health?.status && r.health.status !== 'Healthy')
    .map((r) => {
      const why = r.health?.message ? `: ${r.health.message}` : '';
      return `${r.kind ?? 'resource'} ${r.name ?? ''} (${r.health?.status}${why})`;
    });
  const shown = waiting.slice(0, 3).join(', ');
  const more = waiting.length > 3 ? ` and ${waiting.length - 3} more` : '';
  const list = waiting.length > 0 ? `; not healthy yet: ${shown}${more}` : '';
  return `${sync}${revision}, ${health}${said}${list}`;
}

/** A Git SHA shortened as Git does; a chart version or tag as is. */
export function shortRevision(revision: string): string {
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision;
}
