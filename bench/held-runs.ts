import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isAlive,
  type ProcessIdentity,
  signalGroup,
  signalProcess,
} from '../src/drivers/command/processes.js';
import { rssMiB, sleep } from './processes.js';

/** The command driver's processes for every run in a data directory: supervisors and commands. */
function runProcesses(dataDir: string): {
  supervisors: ProcessIdentity[];
  commands: ProcessIdentity[];
} {
  const runs = join(dataDir, 'runs');
  const supervisors: ProcessIdentity[] = [];
  const commands: ProcessIdentity[] = [];
  if (!existsSync(runs)) return { supervisors, commands };
  for (const run of readdirSync(runs)) {
    const read = (file: string) => {
      try {
        return JSON.parse(readFileSync(join(runs, run, file), 'utf8')) as {
          kind?: string;
          process?: ProcessIdentity;
        };
      } catch {
        return null;
      }
    };
    const claim = read('supervisor.json');
    if (claim?.kind === 'supervisor' && claim.process) supervisors.push(claim.process);
    const child = read('child.json');
    if (child?.process) commands.push(child.process);
  }
  return { supervisors, commands };
}

/** RSS of the live supervisors and commands, in MiB (they live outside Slipway's process). */
export function runProcessesRss(dataDir: string): { processes: number; mib: number } {
  const { supervisors, commands } = runProcesses(dataDir);
  const live = [...supervisors, ...commands].filter(isAlive);
  const mib = live.reduce((sum, p) => sum + (rssMiB(p.pid) ?? 0), 0);
  return { processes: live.length, mib: Math.round(mib * 10) / 10 };
}

/**
 * Stops what the held deployments left running after Slipway stopped (supervisors are detached
 * on purpose, so they outlive it): SIGTERM to each supervisor (it stops its command and records
 * the run as cancelled), then SIGKILL to any command group still there. Only processes recorded
 * in this benchmark's own run directories, checked by start time, are signalled.
 */
export async function stopHeldRuns(dataDir: string): Promise<number> {
  let stopped = 0;
  // Again until nothing is left: a supervisor that was starting when Slipway stopped claims its
  // run (and starts its command) a moment later.
  for (let pass = 0; pass < 5; pass++) {
    const { supervisors, commands } = runProcesses(dataDir);
    const live = [...supervisors, ...commands].filter(isAlive);
    if (live.length === 0) return stopped;
    for (const s of supervisors) if (signalProcess(s, 'SIGTERM')) stopped += 1;
    const deadline = performance.now() + 5_000;
    while (supervisors.some(isAlive) && performance.now() < deadline) await sleep(100);
    for (const c of commands) if (isAlive(c)) signalGroup(c.pid, 'SIGKILL');
    for (const s of supervisors) signalProcess(s, 'SIGKILL');
    await sleep(1_000);
  }
  throw new Error(`processes of held deployments are still running; see ${dataDir}/runs`);
}
