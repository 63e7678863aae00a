import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type OutputLog, openOutputLog } from './output-log.js';
import { drain, exitOf, identify, signalGroup, spawnErrorText, spawned } from './processes.js';
import {
  type ChildRecord,
  type Claim,
  createExclusive,
  RUN_FILES,
  type RunResult,
  type RunSpec,
  readRunSpec,
  writeFileAtomic,
} from './run-files.js';

type Outcome = Pick<
  RunResult,
  'started' | 'exitCode' | 'signal' | 'timedOut' | 'cancelled' | 'error' | 'startedAt'
>;

/** Lets a stop request (SIGTERM to the supervisor) reach whatever is running at the time. */
interface StopSwitch {
  requested: boolean;
  onStop: (() => void) | null;
}

function notStarted(error: string | null, cancelled: boolean): Outcome {
  return {
    started: false,
    exitCode: null,
    signal: null,
    timedOut: false,
    cancelled,
    error,
    startedAt: null,
  };
}

async function runCommand(
  runDir: string,
  spec: RunSpec,
  log: OutputLog,
  stop: StopSwitch,
): Promise<Outcome> {
  const [file = '', ...args] = spec.argv;
  const started = new Date();
  let child: ChildProcess;
  try {
    // No shell: each argv element reaches the program as one argument, nothing is expanded.
    // `detached` gives the command its own process group, so a stop reaches its children too.
    child = spawn(file, args, {
      cwd: spec.cwd,
      env: spec.env,
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    return notStarted(err instanceof Error ? spawnErrorText(err, spec.cwd) : String(err), false);
  }
  const exited = exitOf(child);
  child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
  const spawnError = await spawned(child);
  const pid = child.pid;
  if (spawnError || pid === undefined) {
    return notStarted(spawnError ? spawnErrorText(spawnError, spec.cwd) : 'no pid', false);
  }

  const record: ChildRecord = { process: identify(pid), startedAt: started.toISOString() };
  await writeFileAtomic(join(runDir, RUN_FILES.child), JSON.stringify(record));

  let timedOut = false;
  let cancelled = false;
  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;
  // An arrow, not a declaration: declarations are hoisted and lose the `pid` narrowing.
  const terminate = (): void => {
    if (stopping) return;
    stopping = true;
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), spec.killGraceMs);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    terminate();
  }, spec.timeoutMs);
  stop.onStop = () => {
    cancelled = true;
    terminate();
  };
  if (stop.requested) stop.onStop();

  const [exitCode, signal] = await exited;
  clearTimeout(timer);
  clearTimeout(killTimer);
  // A stopped run leaves nothing behind: whatever the command started in its group goes too.
  if (stopping) signalGroup(pid, 'SIGKILL');
  await drain(child);
  return {
    started: true,
    exitCode,
    signal,
    timedOut,
    cancelled: cancelled && !timedOut,
    error: null,
    startedAt: started.toISOString(),
  };
}

/**
 * Runs one command for a run directory and records how it ended. Started detached by the driver,
 * so it outlives the Slipway process that started it; the result file is the only way it reports
 * back. Returns the supervisor's own exit code (not the command's).
 */
export async function supervise(runDir: string): Promise<number> {
  const stop: StopSwitch = { requested: false, onStop: null };
  // Installed before the claim: once a claim names this process, a SIGTERM is a cancel request.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      stop.requested = true;
      stop.onStop?.();
    });
  }
  const spec = await readRunSpec(runDir);
  if (!spec) {
    console.error(`slipway supervisor: ${runDir} has no ${RUN_FILES.spec}; nothing to run`);
    return 66;
  }
  const claim: Claim = {
    kind: 'supervisor',
    process: identify(process.pid),
    at: new Date().toISOString(),
  };
  if (!(await createExclusive(join(runDir, RUN_FILES.claim), JSON.stringify(claim)))) {
    console.error(`slipway supervisor: ${runDir} is already claimed; not running it again`);
    return 0;
  }
  const log = openOutputLog(runDir, spec.outputLimitBytes);
  const outcome = stop.requested
    ? notStarted(null, true)
    : await runCommand(runDir, spec, log, stop);
  const output = log.finish();
  const finishedAt = new Date();
  const result: RunResult = {
    format: 1,
    ...outcome,
    finishedAt: finishedAt.toISOString(),
    durationMs: outcome.startedAt ? finishedAt.getTime() - Date.parse(outcome.startedAt) : 0,
    outputBytes: output.bytes,
    outputTruncated: output.truncated,
  };
  await writeFileAtomic(join(runDir, RUN_FILES.result), `${JSON.stringify(result, null, 2)}\n`);
  return 0;
}
