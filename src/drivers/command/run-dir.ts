import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isAlive, type ProcessIdentity } from './processes.js';
import {
  type ChildRecord,
  type Claim,
  createExclusive,
  RUN_FILES,
  RUN_ID,
  type RunPhase,
  type RunResult,
  readIfExists,
  readRunSpec,
} from './run-files.js';

/**
 * One directory per (deployment, phase) under `<dataDir>/runs/`: the server's side of it. The
 * files and what the supervisor needs of them are in run-files.ts, which loads no package.
 */
export {
  type ChildRecord,
  type Claim,
  createExclusive,
  RUN_FILES,
  RUN_PHASES,
  type RunPhase,
  type RunResult,
  type RunSpec,
  readRunSpec,
  writeFileAtomic,
} from './run-files.js';

/** `<deploymentId>-<phase>`, with anything unsafe in a file name percent-encoded. */
export function runIdFor(deploymentId: string, phase: RunPhase): string {
  const safe = deploymentId.replace(
    /^\.|[^A-Za-z0-9._-]/g,
    (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `${safe}-${phase}`;
}
export const RunId = z.string().regex(RUN_ID, 'not a run id');

export function runDirOf(dataDir: string, runId: string): string {
  return join(dataDir, 'runs', RunId.parse(runId));
}

export const Identity = z.object({
  pid: z.number().int().positive(),
  bootId: z.string().nullable(),
  startTicks: z.string().nullable(),
});

export const ClaimSchema: z.ZodType<Claim> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('supervisor'), process: Identity, at: z.iso.datetime() }),
  z.object({ kind: z.literal('abandoned'), reason: z.string(), at: z.iso.datetime() }),
]);

export const ChildRecordSchema: z.ZodType<ChildRecord> = z.object({
  process: Identity,
  startedAt: z.iso.datetime(),
});

export const RunResultSchema: z.ZodType<RunResult> = z.object({
  format: z.literal(1),
  /** The command's process was created (false: it never ran, see `error` or `cancelled`). */
  started: z.boolean(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  cancelled: z.boolean(),
  /** Why the command could not be started (`spawn ./deploy.sh ENOENT`). */
  error: z.string().nullable(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime(),
  durationMs: z.number().int().nonnegative(),
  outputBytes: z.number().int().nonnegative(),
  outputTruncated: z.boolean(),
});

export type RunState =
  /** No run directory: the data directory was lost or the handle is foreign. */
  | { kind: 'missing' }
  /** Created, but no supervisor has claimed it yet; `since` is when it was created (ms). */
  | { kind: 'pending'; since: number; launcherAlive: boolean }
  | { kind: 'abandoned'; reason: string }
  | { kind: 'running'; supervisor: ProcessIdentity }
  /** The supervisor is gone without a result; the command may outlive it. */
  | { kind: 'lost'; supervisor: ProcessIdentity; child: ChildRecord | null; childAlive: boolean }
  | { kind: 'finished'; result: RunResult };

export async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  const text = await readIfExists(file);
  if (text === null) return null;
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a valid run file: ${parsed.error.message}`);
  return parsed.data;
}

async function createdAt(runDir: string): Promise<number | null> {
  const spec = await readRunSpec(runDir);
  if (spec) return Date.parse(spec.createdAt);
  try {
    return (await stat(runDir)).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Where a run stands, from its files alone, so any process can answer. The result is read
 * again after finding the supervisor dead: it may have written the result and exited between
 * the first read and the liveness check.
 */
export async function readRunState(
  runDir: string,
  alive: (id: ProcessIdentity) => boolean = isAlive,
): Promise<RunState> {
  const result = await readJson(join(runDir, RUN_FILES.result), RunResultSchema);
  if (result) return { kind: 'finished', result };
  const claim = await readJson(join(runDir, RUN_FILES.claim), ClaimSchema);
  if (!claim) {
    const since = await createdAt(runDir);
    if (since === null) return { kind: 'missing' };
    const launched = await readJson(join(runDir, RUN_FILES.launched), Identity);
    return { kind: 'pending', since, launcherAlive: launched !== null && alive(launched) };
  }
  if (claim.kind === 'abandoned') return { kind: 'abandoned', reason: claim.reason };
  if (alive(claim.process)) return { kind: 'running', supervisor: claim.process };
  const late = await readJson(join(runDir, RUN_FILES.result), RunResultSchema);
  if (late) return { kind: 'finished', result: late };
  const child = await readJson(join(runDir, RUN_FILES.child), ChildRecordSchema);
  return {
    kind: 'lost',
    supervisor: claim.process,
    child,
    childAlive: child !== null && alive(child.process),
  };
}

/** Makes sure no supervisor will ever run this command; false if one already claimed it. */
export function abandonRun(runDir: string, reason: string): Promise<boolean> {
  const claim: Claim = { kind: 'abandoned', reason, at: new Date().toISOString() };
  return createExclusive(join(runDir, RUN_FILES.claim), JSON.stringify(claim));
}
