import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { launcherFor } from './launcher.js';
import { identify, isAlive, spawned } from './processes.js';
import {
  abandonRun,
  createExclusive,
  Identity,
  RUN_FILES,
  type RunSpec,
  readJson,
  readRunSpec,
  readRunState,
  runDirOf,
  writeFileAtomic,
} from './run-dir.js';
import { SUPERVISOR_SCRIPT } from './supervisor-script.js';

/** Names a shell may export: the spec's environment comes from Slipway, but is checked again. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `value` as one shell word: inside single quotes nothing is special but the quote itself. */
function shellWord(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** The command's environment as a file the supervisor sources: `export NAME='value'` lines. */
export function environmentFile(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!SHELL_NAME.test(name)) {
        throw new Error(`environment variable name ${JSON.stringify(name)} cannot be passed on`);
      }
      return `export ${name}=${shellWord(value)}\n`;
    })
    .join('');
}

/**
 * How to start the supervisor of a run (supervisor-script.ts): the system's shell, with the
 * script and what it needs from the spec as arguments. The run directory is absolute, since the
 * supervisor works from it and passes it to nobody else.
 */
export function supervisorCommand(
  runDir: string,
  spec: SupervisorSpec,
): { file: string; args: string[] } {
  return {
    file: '/bin/sh',
    args: ['-c', SUPERVISOR_SCRIPT, 'slipway-supervisor', resolve(runDir), ...supervisorArgs(spec)],
  };
}

type SupervisorSpec = Pick<
  RunSpec,
  'timeoutMs' | 'killGraceMs' | 'outputLimitBytes' | 'cwd' | 'argv'
>;

/** The supervisor's arguments after its run directory. */
function supervisorArgs(spec: SupervisorSpec): string[] {
  return [
    String(spec.timeoutMs),
    String(spec.killGraceMs),
    String(spec.outputLimitBytes),
    bootClock(),
    spec.cwd,
    ...spec.argv,
  ];
}

/**
 * The wall time at boot in epoch ms, from this process's clock and /proc/uptime, or '' off
 * Linux. The supervisor adds its own uptime to it to date what it records, instead of running
 * date(1) for each: uptime is in hundredths of a second, so its times are within 10 ms of
 * Slipway's clock at launch.
 */
export function bootClock(): string {
  try {
    const [seconds] = readFileSync('/proc/uptime', 'utf8').split(' ');
    const uptimeMs = Math.round(Number(seconds) * 1000);
    return Number.isFinite(uptimeMs) && uptimeMs > 0 ? String(Date.now() - uptimeMs) : '';
  } catch {
    return '';
  }
}

/** The same arguments as a file the launcher sources (launcher.ts): one `set -- …` line. */
export function supervisorArgsFile(spec: SupervisorSpec): string {
  return `set -- ${supervisorArgs(spec).map(shellWord).join(' ')}\n`;
}

/**
 * Starts the supervisor of a run, detached: in its own session and process group, so a signal
 * to Slipway's group (Ctrl-C, a process manager killing the main process) does not reach it,
 * and Slipway can exit without waiting for it. Its stderr goes to supervisor.log: with stdio
 * ignored, a supervisor that fails would leave no trace. The shell runs with PATH alone (from
 * the safe base) and LC_ALL=C, which keeps locale files out of its memory; the command's own
 * environment reaches only the command, through command.env.
 *
 * The process's launcher (launcher.ts) starts it without forking Slipway; should the launcher
 * fail, Slipway spawns the supervisor itself, as the launcher would have, and notes why in
 * supervisor.log.
 */
async function launchSupervisor(
  runDir: string,
  env: Record<string, string>,
  /** The spec, when the caller just wrote it; read from spec.json otherwise. */
  written?: RunSpec,
): Promise<Error | null> {
  const shellEnv: Record<string, string> = { LC_ALL: 'C' };
  if (env.PATH !== undefined) shellEnv.PATH = env.PATH;
  const log = join(runDir, RUN_FILES.supervisorLog);
  // Created here, readable by Slipway's user only, whoever opens it next.
  closeSync(openSync(log, 'a', 0o600));
  try {
    const spec = written ?? (await readRunSpec(runDir));
    if (!spec) return new Error(`${RUN_FILES.spec} is missing`);
    const thisBoot = { durable: false };
    await writeFileAtomic(join(runDir, RUN_FILES.commandEnv), environmentFile(spec.env), thisBoot);
    await writeFileAtomic(
      join(runDir, RUN_FILES.supervisorArgs),
      supervisorArgsFile(spec),
      thisBoot,
    );
    let pid: number | undefined;
    try {
      pid = await launcherFor(shellEnv).launch(resolve(runDir));
    } catch (err) {
      await appendFile(log, `slipway: started without the launcher: ${(err as Error).message}\n`);
      const started = await spawnSupervisor(runDir, spec, shellEnv, log);
      if (started instanceof Error) return started;
      pid = started;
    }
    // Watchers wait for a supervisor they can see starting instead of declaring the run never
    // started (hundreds launched at once on a busy machine take a while to claim their runs).
    if (pid !== undefined)
      await writeFileAtomic(
        join(runDir, RUN_FILES.launched),
        `${JSON.stringify(identify(pid))}\n`,
        thisBoot,
      );
    return null;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Spawns the supervisor from this process (nodejs.org/api/child_process.html#optionsdetached). */
async function spawnSupervisor(
  runDir: string,
  spec: SupervisorSpec,
  shellEnv: Record<string, string>,
  log: string,
): Promise<number | undefined | Error> {
  const out = openSync(log, 'a', 0o600);
  try {
    const { file, args } = supervisorCommand(runDir, spec);
    const child = spawn(file, args, {
      cwd: runDir,
      env: shellEnv,
      detached: true,
      stdio: ['ignore', out, out],
    });
    const error = await spawned(child);
    child.unref();
    return error ?? child.pid;
  } finally {
    closeSync(out);
  }
}

export type StartSpec = Omit<RunSpec, 'format' | 'runId' | 'createdAt'>;

/**
 * Creates the run and starts its supervisor, once per run id. The run directory itself is the
 * exclusive marker: mkdir without `recursive` fails with EEXIST for every caller but the first,
 * and those callers attach to the existing run instead of starting the command again.
 */
export async function startRun(
  dataDir: string,
  runId: string,
  spec: StartSpec,
  /** The supervisor's own environment: the safe base only, so options.env (NODE_OPTIONS…) cannot change how it runs. */
  supervisorEnv: Record<string, string>,
): Promise<{ runDir: string; attached: boolean }> {
  const runDir = runDirOf(dataDir, runId);
  const full: RunSpec = { format: 1, runId, ...spec, createdAt: new Date().toISOString() };
  await mkdir(dirname(runDir), { recursive: true, mode: 0o700 });
  try {
    await mkdir(runDir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await completeSpec(runDir, full);
    // Taking over from a process that died while starting this run: start it now.
    const relaunched = await relaunchUnclaimed(runDir, supervisorEnv, RELAUNCH_AFTER_MS);
    return { runDir, attached: !relaunched };
  }
  await writeFileAtomic(join(runDir, RUN_FILES.spec), `${JSON.stringify(full, null, 2)}\n`);
  await launch(runDir, supervisorEnv, full);
  return { runDir, attached: false };
}

/**
 * A run directory without a spec was left by a process that died right after creating it: give
 * it this one, dated when the directory was made, so that whoever watches the run can start it.
 * Exclusive, so a spec already written (by a process still starting the run) stands.
 */
async function completeSpec(runDir: string, spec: RunSpec): Promise<void> {
  if (await readRunSpec(runDir)) return;
  const createdAt = new Date((await stat(runDir)).mtimeMs).toISOString();
  await createExclusive(
    join(runDir, RUN_FILES.spec),
    `${JSON.stringify({ ...spec, createdAt }, null, 2)}\n`,
  );
}

async function launch(
  runDir: string,
  supervisorEnv: Record<string, string>,
  spec?: RunSpec,
): Promise<void> {
  const error = await launchSupervisor(runDir, supervisorEnv, spec);
  if (error) await abandonRun(runDir, `its supervisor could not be started (${error.message})`);
}

/**
 * A run this much older than its directory, still unclaimed and with no supervisor alive, was
 * left by a process that died while starting it: starting takes milliseconds (mkdir, spec,
 * spawn), so waiting this long keeps a relaunch from racing a process that is merely slow.
 */
export const RELAUNCH_AFTER_MS = 2_000;
/**
 * Launches after the first, at most. A supervisor that dies before claiming every time (a
 * broken install) is then given up after the launch grace, instead of started forever.
 */
export const MAX_RELAUNCHES = 3;
/** A relaunch marker this recent, made by a process still alive, is a launch under way. */
const LAUNCH_UNDER_WAY_MS = 15_000;
const RELAUNCH_MARKER = /^relaunch-(\d+)\.json$/;
const Marker = z.object({ process: Identity, at: z.iso.datetime() });

/**
 * Starts a run again that provably never ran: nobody claimed it (the supervisor's exclusive claim
 * of supervisor.json comes before the command, so no claim means no command) and no supervisor
 * that could still claim it is alive. Of the processes that may try at once, only the one that
 * creates the next `relaunch-<n>.json` exclusively launches; and should a supervisor launched
 * earlier wake up after all, the claim lets exactly one of them run the command. Needs the spec
 * on disk. Returns whether this call launched a supervisor.
 */
export async function relaunchUnclaimed(
  runDir: string,
  supervisorEnv: Record<string, string>,
  minAgeMs: number,
): Promise<boolean> {
  const state = await readRunState(runDir);
  if (state.kind !== 'pending' || state.launcherAlive) return false;
  if (Date.now() - state.since < minAgeMs || !(await readRunSpec(runDir))) return false;
  if (!(await takeRelaunchMarker(runDir))) return false;
  await launch(runDir, supervisorEnv);
  return true;
}

/** Whether another process is relaunching this run right now (the launch grace waits for it). */
export async function relaunchUnderWay(runDir: string): Promise<boolean> {
  const last = await lastRelaunch(runDir);
  if (last === 0) return false;
  const marker = await readJson(join(runDir, `relaunch-${last}.json`), Marker).catch(() => null);
  return (
    marker !== null &&
    Date.now() - Date.parse(marker.at) < LAUNCH_UNDER_WAY_MS &&
    isAlive(marker.process)
  );
}

async function takeRelaunchMarker(runDir: string): Promise<boolean> {
  const last = await lastRelaunch(runDir);
  if (last >= MAX_RELAUNCHES || (await relaunchUnderWay(runDir))) return false;
  const marker = { process: identify(process.pid), at: new Date().toISOString() };
  return createExclusive(join(runDir, `relaunch-${last + 1}.json`), JSON.stringify(marker));
}

async function lastRelaunch(runDir: string): Promise<number> {
  let last = 0;
  for (const name of await readdir(runDir).catch(() => [])) {
    const n = Number(RELAUNCH_MARKER.exec(name)?.[1] ?? 0);
    if (n > last) last = n;
  }
  return last;
}
