import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessIdentity } from './processes.js';

/**
 * The files of a run directory, their names and formats, shared by the launcher (launch.ts) and
 * the readers (run-dir.ts); the supervisor that writes most of them is a shell script
 * (supervisor-script.ts). This module uses Node's own modules only.
 *
 * Every file is written whole (temp file + rename) or created exclusively (temp file + link), so
 * a reader in another process never sees half a file and two writers never both win. README.md
 * documents the formats.
 */
export const RUN_FILES = {
  /** What to run; written by `deploy`/`rollback` before the supervisor starts. */
  spec: 'spec.json',
  /** Created exactly once: by the supervisor before it runs anything, or by whoever gave up. */
  claim: 'supervisor.json',
  /** The command's environment, `export NAME='value'` lines the supervisor sources for it. */
  commandEnv: 'command.env',
  /** The supervisor's arguments after the run directory, a `set -- 'arg'…` line the launcher sources. */
  supervisorArgs: 'supervisor.args',
  /** The pipe from the command's stdout and stderr to the supervisor (while it runs). */
  pipe: 'output.pipe',
  /** Why the command could not be started, written by the supervisor's child instead of it. */
  spawnError: 'spawn-error',
  /** The supervisor's own stderr (crash diagnostics only). */
  supervisorLog: 'supervisor.log',
  /** The supervisor process as launched, before it claims the run (it may be slow to boot). */
  launched: 'launched.json',
  child: 'child.json',
  output: 'output.log',
  /** Older half of the output while the command runs; merged into output.log at the end. */
  outputPrevious: 'output.log.1',
  result: 'result.json',
} as const;

export const RUN_PHASES = ['deploy', 'rollback'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/** What to run: written by the driver, read by the supervisor. */
export interface RunSpec {
  format: 1;
  runId: string;
  phase: RunPhase;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  killGraceMs: number;
  outputLimitBytes: number;
  /** ISO 8601. */
  createdAt: string;
}

export type Claim =
  | { kind: 'supervisor'; process: ProcessIdentity; at: string }
  | { kind: 'abandoned'; reason: string; at: string };

export interface ChildRecord {
  process: ProcessIdentity;
  startedAt: string;
}

export interface RunResult {
  format: 1;
  /** The command's process was created (false: it never ran, see `error` or `cancelled`). */
  started: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Why the command could not be started (`spawn ./deploy.sh ENOENT`). */
  error: string | null;
  startedAt: string | null;
  finishedAt: string;
  durationMs: number;
  outputBytes: number;
  outputTruncated: boolean;
}

/** Run ids come back from the store inside handles: never let one name a path outside runs/. */
export const RUN_ID = /^[A-Za-z0-9%_-][A-Za-z0-9%._-]*$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The problems of a spec.json value, one phrase each; none when it is a RunSpec. */
export function runSpecProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['not an object'];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  const positiveInt = (x: unknown) => Number.isSafeInteger(x) && (x as number) > 0;
  check(v.format === 1, 'format must be 1');
  check(typeof v.runId === 'string' && RUN_ID.test(v.runId), 'runId is not a run id');
  check(RUN_PHASES.includes(v.phase as RunPhase), 'phase must be deploy or rollback');
  check(
    Array.isArray(v.argv) && v.argv.length > 0 && v.argv.every((a) => typeof a === 'string'),
    'argv must be a non-empty list of strings',
  );
  check(typeof v.cwd === 'string', 'cwd must be a string');
  check(
    typeof v.env === 'object' &&
      v.env !== null &&
      !Array.isArray(v.env) &&
      Object.values(v.env).every((x) => typeof x === 'string'),
    'env must map names to strings',
  );
  for (const key of ['timeoutMs', 'killGraceMs', 'outputLimitBytes'] as const) {
    check(positiveInt(v[key]), `${key} must be a positive integer`);
  }
  check(
    typeof v.createdAt === 'string' && ISO_TIME.test(v.createdAt),
    'createdAt must be an ISO 8601 UTC time',
  );
  return problems;
}

/** A file's text, or null when it does not exist. */
export async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The run's spec.json, checked; null when there is none. */
export async function readRunSpec(runDir: string): Promise<RunSpec | null> {
  const file = join(runDir, RUN_FILES.spec);
  const text = await readIfExists(file);
  if (text === null) return null;
  const value: unknown = JSON.parse(text);
  const problems = runSpecProblems(value);
  if (problems.length > 0)
    throw new Error(`${file} is not a valid run file: ${problems.join('; ')}`);
  return value as RunSpec;
}

function tempName(file: string): string {
  return `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
}

async function writeTemp(file: string, data: string, durable = true): Promise<string> {
  const temp = tempName(file);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/**
 * Replaces `file` in one step: readers see the old content or the new, never a mix (rename(2)).
 * `durable: false` skips the fsync, for files read only while this boot lasts (what a launch
 * hands the supervisor, who launched it): other processes read them from the page cache, and
 * after a crash of the machine the run they serve is lost with its supervisor anyway.
 */
export async function writeFileAtomic(
  file: string,
  data: string,
  { durable = true }: { durable?: boolean } = {},
): Promise<void> {
  await rename(await writeTemp(file, data, durable), file);
}

/** Creates `file` with its full content only if it does not exist yet (link(2) fails on EEXIST). */
export async function createExclusive(file: string, data: string): Promise<boolean> {
  const temp = await writeTemp(file, data);
  try {
    await link(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(temp, { force: true });
  }
}
