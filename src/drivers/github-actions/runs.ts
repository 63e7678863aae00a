import type { Deployment } from '../../core/deployment.js';
import type { DriverPhase } from '../types.js';
import type { WorkflowRun, WorkflowRunEvent } from './schema.js';

/**
 * The correlation id a run of (deployment, phase) is dispatched with and must show in its
 * run-name: the deployment's own for the deploy, a derived one for its rollback, so the two
 * runs of one deployment through one workflow are never taken for each other.
 */
export function runKey(d: Readonly<Deployment>, phase: DriverPhase): string {
  return phase === 'deploy' ? d.correlationId : `${d.correlationId}-rollback`;
}

// Characters that continue an id: "abc" is not found in "abc-rollback" nor in "xabc".
const ID_CHAR = /[A-Za-z0-9_.:-]/;

/** Whether the run's run-name (or name) shows `key` as a whole word. */
export function carriesKey(run: Pick<WorkflowRun, 'display_title' | 'name'>, key: string): boolean {
  return [run.display_title, run.name].some((text) => !!text && containsWord(text, key));
}

function containsWord(text: string, word: string): boolean {
  for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
    const before = text[at - 1];
    const after = text[at + word.length];
    if ((!before || !ID_CHAR.test(before)) && (!after || !ID_CHAR.test(after))) return true;
  }
  return false;
}

/** The run for `key` among `runs`; when a key was dispatched twice, the first run. */
export function pickRun(runs: readonly WorkflowRun[], key: string): WorkflowRun | null {
  const mine = runs.filter((run) => carriesKey(run, key));
  return mine.reduce<WorkflowRun | null>(
    (first, run) => (!first || run.id < first.id ? run : first),
    null,
  );
}

/** How far along a run is, so a late webhook never overrides a newer one. */
export function runStage(run: WorkflowRun): number {
  if (run.status === 'completed') return 3;
  if (run.status === 'in_progress') return 2;
  return 1;
}

type Listener = (run: WorkflowRun) => void;

/**
 * Where `workflow_run` webhooks meet the watches waiting in this process: by run id once the run
 * is known, by correlation id while a dispatch waits for its run to appear. A webhook for a run
 * nobody here waits for is dropped (another replica's: it polls).
 */
export interface RunBoard {
  publish(event: WorkflowRunEvent): void;
  follow(runId: number, listener: Listener): () => void;
  discover(repository: string, key: string, listener: Listener): () => void;
}

export function createRunBoard(): RunBoard {
  const byId = new Map<number, Set<Listener>>();
  const byKey = new Set<{ repository: string; key: string; listener: Listener }>();
  return {
    publish(event) {
      const run = event.workflow_run;
      for (const listener of byId.get(run.id) ?? []) listener(run);
      const repository = event.repository.full_name.toLowerCase();
      for (const waiting of byKey) {
        if (waiting.repository === repository && carriesKey(run, waiting.key))
          waiting.listener(run);
      }
    },
    follow(runId, listener) {
      const listeners = byId.get(runId) ?? new Set();
      listeners.add(listener);
      byId.set(runId, listeners);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) byId.delete(runId);
      };
    },
    discover(repository, key, listener) {
      const entry = { repository: repository.toLowerCase(), key, listener };
      byKey.add(entry);
      return () => byKey.delete(entry);
    },
  };
}

/**
 * Holds the most advanced run a webhook brought until the watch takes it; `wait` returns it at
 * once, or when one arrives, or null after `ms` (time to poll).
 */
export function createInbox() {
  let held: WorkflowRun | null = null;
  let wake: (() => void) | null = null;
  return {
    push(run: WorkflowRun) {
      if (!held || runStage(run) >= runStage(held)) held = run;
      wake?.();
    },
    take(): WorkflowRun | null {
      const run = held;
      held = null;
      return run;
    },
    async wait(ms: number, signal: AbortSignal): Promise<WorkflowRun | null> {
      signal.throwIfAborted();
      if (!held) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(done, ms);
          signal.addEventListener('abort', aborted, { once: true });
          wake = done;
          function cleanUp() {
            clearTimeout(timer);
            signal.removeEventListener('abort', aborted);
            wake = null;
          }
          function done() {
            cleanUp();
            resolve();
          }
          function aborted() {
            cleanUp();
            reject(signal.reason);
          }
        });
      }
      return this.take();
    },
  };
}
export type Inbox = ReturnType<typeof createInbox>;
