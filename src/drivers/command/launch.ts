import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { identify, spawned } from './processes.js';
import { abandonRun, RUN_FILES, type RunSpec, runDirOf, writeFileAtomic } from './run-dir.js';

/**
 * How to start the supervisor: the sibling file of this module. Built, that is
 * dist/drivers/command/supervisor.js run by node itself; from source (tsx, vitest) it is
 * supervisor.ts, run by node with tsx's loader, resolved to an absolute URL so it does not depend
 * on the working directory.
 */
export function supervisorCommand(moduleUrl: string = import.meta.url): {
  file: string;
  args: string[];
} {
  const here = fileURLToPath(moduleUrl);
  const extension = extname(here);
  const script = join(dirname(here), `supervisor${extension}`);
  if (extension !== '.ts') return { file: process.execPath, args: [script] };
  const tsx = pathToFileURL(createRequire(moduleUrl).resolve('tsx')).href;
  return { file: process.execPath, args: ['--import', tsx, script] };
}

/**
 * Starts the detached supervisor. `detached` puts it in its own session and process group, so a
 * signal to Slipway's group (Ctrl-C, a process manager killing the main process) does not reach
 * it, and `unref()` lets Slipway exit without waiting for it
 * (nodejs.org/api/child_process.html#optionsdetached). Its stderr goes to supervisor.log: with
 * stdio ignored, a supervisor that fails to load would leave no trace.
 */
async function launchSupervisor(
  runDir: string,
  env: Record<string, string>,
): Promise<Error | null> {
  const { file, args } = supervisorCommand();
  const out = openSync(join(runDir, RUN_FILES.supervisorLog), 'a', 0o600);
  try {
    const child = spawn(file, [...args, runDir], {
      cwd: runDir,
      env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    const error = await spawned(child);
    child.unref();
    // Booting node takes a while on a busy machine: watchers wait for a supervisor they can
    // see starting instead of declaring the run never started.
    if (!error && child.pid !== undefined)
      await writeFileAtomic(
        join(runDir, RUN_FILES.launched),
        `${JSON.stringify(identify(child.pid))}\n`,
      );
    return error;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
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
  await mkdir(dirname(runDir), { recursive: true, mode: 0o700 });
  try {
    await mkdir(runDir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { runDir, attached: true };
    throw err;
  }
  const full: RunSpec = { format: 1, runId, ...spec, createdAt: new Date().toISOString() };
  await writeFileAtomic(join(runDir, RUN_FILES.spec), `${JSON.stringify(full, null, 2)}\n`);
  const error = await launchSupervisor(runDir, supervisorEnv);
  if (error) await abandonRun(runDir, `its supervisor could not be started (${error.message})`);
  return { runDir, attached: false };
}
