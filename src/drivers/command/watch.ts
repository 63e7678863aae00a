import { type FSWatcher, watch } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { formatDuration } from '../../core/duration.js';
import { relaunchUnderWay } from './launch.js';
import type { FinalRunState } from './outcome.js';
import { clip, lastLines, readOutputTail } from './output-log.js';
import { signalGroup } from './processes.js';
import { abandonRun, type RunSpec, readRunSpec, readRunState } from './run-dir.js';

export interface WaitOptions {
  signal: AbortSignal;
  progress(text: string): void;
  log: Logger;
  /** Slow poll, for file systems where fs.watch misses events (network mounts, some containers). */
  pollMs: number;
  /** How long a run may stay unclaimed before it is declared never started. */
  launchGraceMs: number;
  /**
   * Starts the run when it provably never started (unclaimed, no supervisor alive) and is old
   * enough that its launcher must have died; true when it launched a supervisor.
   */
  relaunch?: () => Promise<boolean>;
}

const PROGRESS_CHARS = 200;
/** Bursts of output wake the watcher often: look at the files at most this often. */
const MIN_INTERVAL_MS = 100;

/** Wakes on any change in `dir` (fs.watch) or after `ms`, whichever comes first. */
function dirWaker(
  dir: string,
  signal: AbortSignal,
): { next(ms: number): Promise<void>; close(): void } {
  let dirty = false;
  let wake: (() => void) | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, () => {
      dirty = true;
      wake?.();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // fs.watch is not available everywhere (nodejs.org/api/fs.html#caveats): polling still works.
  }
  return {
    async next(ms) {
      await sleep(MIN_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
      if (!dirty) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.max(0, ms - MIN_INTERVAL_MS));
          signal.addEventListener('abort', done, { once: true });
          wake = done;
          function done(): void {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = null;
            resolve();
          }
        });
      }
      dirty = false;
    },
    close() {
      watcher?.close();
    },
  };
}

/** How long a launched supervisor that is still alive may take to claim its run. */
export const LAUNCH_LIMIT_MS = 10 * 60_000;

/**
 * Waits until a run has ended, from its files alone (any process may call this, any number of
 * times). Reports the newest output line as progress. Starts a run that its launcher left
 * unstarted (`relaunch`); gives up on a run no supervisor claimed within the launch grace and
 * that cannot be started again (it claims the run itself so none ever will). When the supervisor died
 * but the command still runs, waits for the command, enforcing the run's timeout in its place.
 */
export async function waitForRun(runDir: string, options: WaitOptions): Promise<FinalRunState> {
  const waker = dirWaker(runDir, options.signal);
  let spec: RunSpec | null = null;
  let reported = '';
  let orphanReported = false;
  try {
    for (;;) {
      options.signal.throwIfAborted();
      const state = await readRunState(runDir);
      if (state.kind === 'finished' || state.kind === 'abandoned' || state.kind === 'missing') {
        return state;
      }
      if (state.kind === 'lost' && !state.childAlive) return state;
      const waited = state.kind === 'pending' ? Date.now() - state.since : 0;
      if (state.kind === 'pending' && !state.launcherAlive && (await options.relaunch?.())) {
        options.log.warn({ runDir }, 'started a command run that its launcher left unstarted');
        continue;
      }
      // A supervisor still booting (hundreds started at once on two cores take minutes) is
      // waited for up to LAUNCH_LIMIT_MS; one that is gone, or never launched, only the grace.
      if (
        state.kind === 'pending' &&
        waited > options.launchGraceMs &&
        (!state.launcherAlive || waited > Math.max(LAUNCH_LIMIT_MS, options.launchGraceMs)) &&
        !(await relaunchUnderWay(runDir))
      ) {
        // Claiming the run ourselves settles it: a supervisor that starts later finds it taken.
        const reason = state.launcherAlive
          ? `its supervisor started but did not take the run within ${formatDuration(waited)}`
          : `no supervisor claimed the run within ${formatDuration(options.launchGraceMs)} (Slipway probably stopped while starting it)`;
        if (await abandonRun(runDir, reason)) {
          options.log.warn({ runDir }, 'abandoned unclaimed command run');
        }
        continue;
      }
      if (state.kind === 'lost' && state.child) {
        const pid = state.child.process.pid;
        spec ??= await readRunSpec(runDir);
        const deadline = spec
          ? Date.parse(state.child.startedAt) + spec.timeoutMs + spec.killGraceMs
          : Number.POSITIVE_INFINITY;
        // Nobody else enforces the timeout now. The leader is still the same process (childAlive
        // compared its start time), so its group id cannot belong to a stranger.
        if (Date.now() > deadline) signalGroup(pid, 'SIGKILL');
        if (!orphanReported) {
          orphanReported = true;
          options.progress(`supervisor gone; waiting for the command (pid ${pid}) to end`);
        }
      }
      const line = lastLines(await readOutputTail(runDir, 4096), 1)[0];
      if (line !== undefined && line !== reported) {
        reported = line;
        options.progress(clip(line, PROGRESS_CHARS));
      }
      await waker.next(options.pollMs);
    }
  } finally {
    waker.close();
  }
}
