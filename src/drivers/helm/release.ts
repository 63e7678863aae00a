import type { Logger } from 'pino';
import { historyArgs, valuesArgs } from './args.js';
import { type HelmCli, HelmCommandError } from './cli.js';
import {
  type HistoryEntry,
  isPending,
  latestRevision,
  parseHistory,
  parseValues,
  valueAt,
} from './releases.js';
import {
  type RunPhase,
  type RunRecord,
  readOutput,
  readRecord,
  runDirOf,
  runningHelm,
  startHelm,
  waitGone,
} from './runs.js';
import type { HelmOptions } from './schema.js';

/** One release, as one call of the driver sees it. */
export interface ReleaseScope {
  cli: HelmCli;
  env: Record<string, string>;
  options: HelmOptions;
  release: string;
  dataDir: string;
  deploymentId: string;
  signal: AbortSignal;
  log: Logger;
  progress(text: string): void;
}

/** The release's revisions, oldest first; none when helm has never installed it. */
export async function readHistory(scope: ReleaseScope): Promise<HistoryEntry[]> {
  try {
    const { stdout } = await scope.cli.read(
      historyArgs(scope.options, scope.release),
      scope.env,
      scope.signal,
    );
    return parseHistory(stdout);
  } catch (err) {
    if (err instanceof HelmCommandError && /release: not found/.test(err.stderr)) return [];
    throw err;
  }
}

/** The value at `path` that `revision` ran with, the chart's defaults included. */
export async function readValue(
  scope: ReleaseScope,
  revision: number,
  path: string,
): Promise<string | null> {
  const { stdout } = await scope.cli.read(
    valuesArgs(scope.options, scope.release, revision),
    scope.env,
    scope.signal,
  );
  return valueAt(parseValues(stdout), path);
}

/** Refuses to start while helm holds the release for another operation. */
export function refusePending(scope: ReleaseScope, history: HistoryEntry[]): void {
  const latest = latestRevision(history);
  if (!latest || !isPending(latest)) return;
  throw new Error(
    `release ${scope.release} is ${latest.status} (revision ${latest.revision}: ${latest.description || 'no description'}): another helm operation is running on it, or one was interrupted. Wait for it to end, or recover it with "helm rollback ${scope.release} -n ${scope.options.namespace}", then deploy again.`,
  );
}

/**
 * Waits for a helm this deployment started before (in a process that has since died, or in
 * this one before a lost lease): its revision is then in the history. Returns its record.
 */
export async function settleEarlierRun(
  scope: ReleaseScope,
  phase: RunPhase,
): Promise<RunRecord | null> {
  const record = await readRecord(runDirOf(scope.dataDir, scope.deploymentId, phase));
  const running = runningHelm(record);
  if (running) {
    scope.log.info({ pid: running.pid, phase }, 'helm from an earlier attempt still runs; waiting');
    scope.progress(
      `waiting for the helm ${phase === 'deploy' ? 'upgrade' : 'rollback'} started before`,
    );
    await waitGone(running, scope.signal);
  }
  return record;
}

/**
 * Runs helm (upgrade or rollback) to its end, detached and recorded (runs.ts). If Slipway is
 * stopped meanwhile, helm carries on and the next owner finds it through the record. helm gets
 * the options' timeout for its hooks; one that hangs a minute past that is stopped.
 */
export async function runHelm(
  scope: ReleaseScope,
  phase: RunPhase,
  args: string[],
  latestBefore: number,
  timeoutMs: number,
): Promise<number | null> {
  const runDir = runDirOf(scope.dataDir, scope.deploymentId, phase);
  const started = await startHelm({
    bin: scope.cli.bin,
    args,
    env: scope.env,
    runDir,
    latestBefore,
  });
  scope.log.info({ runDir, phase, release: scope.release }, 'helm started');
  scope.progress(`helm ${args[0]} of release ${scope.release} running`);
  const guard = setTimeout(() => started.stop(), timeoutMs + 60_000);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(scope.signal.reason ?? new Error('aborted'));
    if (scope.signal.aborted) onAbort();
    else scope.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([started.exited, aborted]);
  } catch (err) {
    started.detach();
    throw err;
  } finally {
    clearTimeout(guard);
    scope.signal.removeEventListener('abort', onAbort);
  }
}

/** The last lines helm printed for this deployment's phase, for an error message. */
export async function outputTail(scope: ReleaseScope, phase: RunPhase): Promise<string> {
  const text = await readOutput(runDirOf(scope.dataDir, scope.deploymentId, phase));
  return (text ?? '')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('[slipway]'))
    .slice(-3)
    .join(' ')
    .slice(0, 500);
}
