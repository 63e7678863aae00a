import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  exitOf,
  identify,
  isAlive,
  type ProcessIdentity,
  signalGroup,
  spawned,
} from '../command/processes.js';
import { notFound } from './cli.js';

/**
 * Each helm upgrade or rollback Slipway starts has a directory `<dataDir>/helm/<deployment>-<phase>/`
 * holding `run.json` (which process, and the newest revision before it) and `output.log` (what
 * helm printed). helm runs detached in its own process group with its output going to that file,
 * so a Slipway that dies while helm writes the release leaves helm to finish, and the process
 * that takes the deployment over waits for that helm instead of starting another.
 */
export const RunRecord = z.object({
  format: z.literal(1),
  /** The newest revision of the release when helm was started (0: there was none). */
  latestBefore: z.number().int().min(0),
  /** Null between writing the record and helm starting. */
  process: z
    .object({ pid: z.number(), bootId: z.string().nullable(), startTicks: z.string().nullable() })
    .nullable(),
  startedAt: z.string(),
});
export type RunRecord = z.infer<typeof RunRecord>;

export const OUTPUT_FILE = 'output.log';
const RECORD_FILE = 'run.json';

export type RunPhase = 'deploy' | 'rollback';

export function runDirOf(dataDir: string, deploymentId: string, phase: RunPhase): string {
  // Deployment ids come back from the store: never let one name a path outside helm/.
  const safe = deploymentId.replace(
    /^\.|[^A-Za-z0-9._-]/g,
    (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return join(dataDir, 'helm', `${safe}-${phase}`);
}

export async function readRecord(runDir: string): Promise<RunRecord | null> {
  try {
    return RunRecord.parse(JSON.parse(await readFile(join(runDir, RECORD_FILE), 'utf8')));
  } catch {
    return null;
  }
}

async function writeRecord(runDir: string, record: RunRecord): Promise<void> {
  const file = join(runDir, RECORD_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(record), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/** The helm a run started, while it still runs (in this process or another). */
export function runningHelm(record: RunRecord | null): ProcessIdentity | null {
  return record?.process && isAlive(record.process) ? record.process : null;
}

/** Resolves once `process` has exited; checks every `pollMs` (it need not be our child). */
export async function waitGone(
  process: ProcessIdentity,
  signal: AbortSignal,
  pollMs = 250,
): Promise<void> {
  while (isAlive(process)) {
    signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export interface StartedHelm {
  /** Resolves with helm's exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Lets Slipway exit without waiting for helm (which carries on). */
  detach(): void;
  stop(): void;
}

export interface HelmRun {
  bin: string;
  args: string[];
  env: Record<string, string>;
  runDir: string;
  latestBefore: number;
}

/** Starts helm detached, its output appended to the run's output.log; records its process. */
export async function startHelm(run: HelmRun): Promise<StartedHelm> {
  await mkdir(run.runDir, { recursive: true, mode: 0o700 });
  const startedAt = new Date().toISOString();
  await writeRecord(run.runDir, {
    format: 1,
    latestBefore: run.latestBefore,
    process: null,
    startedAt,
  });
  const log = await open(join(run.runDir, OUTPUT_FILE), 'a', 0o600);
  try {
    await log.write(`[slipway] ${startedAt} helm ${run.args.join(' ')}\n`);
    const child = spawn(run.bin, run.args, {
      env: run.env,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    const exited = exitOf(child);
    const error = await spawned(child);
    if (error || child.pid === undefined) {
      const code = (error as NodeJS.ErrnoException | null)?.code ?? 'ENOENT';
      throw notFound(run.bin, code);
    }
    const pid = child.pid;
    await writeRecord(run.runDir, {
      format: 1,
      latestBefore: run.latestBefore,
      process: identify(pid),
      startedAt,
    });
    return {
      exited: exited.then(([code]) => code),
      detach: () => child.unref(),
      stop: () => {
        signalGroup(pid, 'SIGTERM');
      },
    };
  } finally {
    // helm holds its own copy of the descriptor.
    await log.close();
  }
}

const OUTPUT_LIMIT = 64 * 1024;

/** The last part of what helm printed for this run; null when it never ran here. */
export async function readOutput(runDir: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(join(runDir, OUTPUT_FILE), 'utf8');
  } catch {
    return null;
  }
  if (text.length <= OUTPUT_LIMIT) return text;
  const tail = text.slice(-OUTPUT_LIMIT);
  return tail.slice(tail.indexOf('\n') + 1);
}

export function outputPath(runDir: string): string {
  return join(runDir, OUTPUT_FILE);
}
