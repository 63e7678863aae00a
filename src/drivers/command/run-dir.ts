import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isAlive, type ProcessIdentity } from './processes.js';

/**
 * One directory per (deployment, phase) under `<dataDir>/runs/`. Every file in it is written
 * whole (temp file + rename) or created exclusively (temp file + link), so a reader in another
 * process never sees half a file and two writers never both win. README.md documents the formats.
 */
export const RUN_FILES = {
  /** What to run; written by `deploy`/`rollback` before the supervisor starts. */
  spec: 'spec.json',
  /** Created exactly once: by the supervisor before it runs anything, or by whoever gave up. */
  claim: 'supervisor.json',
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

export const RunPhase = z.enum(['deploy', 'rollback']);

/** `<deploymentId>-<phase>`, with anything unsafe in a file name percent-encoded. */
export function runIdFor(deploymentId: string, phase: z.infer<typeof RunPhase>): string {
  const safe = deploymentId.replace(
    /^\.|[^A-Za-z0-9._-]/g,
    (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `${safe}-${phase}`;
}
/** Run ids come back from the store inside handles: never let one name a path outside runs/. */
export const RunId = z.string().regex(/^[A-Za-z0-9%_-][A-Za-z0-9%._-]*$/, 'not a run id');

export function runDirOf(dataDir: string, runId: string): string {
  return join(dataDir, 'runs', RunId.parse(runId));
}

export const Identity = z.object({
  pid: z.number().int().positive(),
  bootId: z.string().nullable(),
  startTicks: z.string().nullable(),
});

export const RunSpec = z.object({
  format: z.literal(1),
  runId: RunId,
  phase: RunPhase,
  argv: z.array(z.string()).min(1),
  cwd: z.string(),
  env: z.record(z.string(), z.string()),
  timeoutMs: z.number().int().positive(),
  killGraceMs: z.number().int().positive(),
  outputLimitBytes: z.number().int().positive(),
  createdAt: z.iso.datetime(),
});
export type RunSpec = z.infer<typeof RunSpec>;

export const Claim = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('supervisor'), process: Identity, at: z.iso.datetime() }),
  z.object({ kind: z.literal('abandoned'), reason: z.string(), at: z.iso.datetime() }),
]);
export type Claim = z.infer<typeof Claim>;

export const ChildRecord = z.object({ process: Identity, startedAt: z.iso.datetime() });
export type ChildRecord = z.infer<typeof ChildRecord>;

export const RunResult = z.object({
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
export type RunResult = z.infer<typeof RunResult>;

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

function tempName(file: string): string {
  return `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
}

async function writeTemp(file: string, data: string): Promise<string> {
  const temp = tempName(file);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/** Replaces `file` in one step: readers see the old content or the new, never a mix (rename(2)). */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  await rename(await writeTemp(file, data), file);
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

export async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a valid run file: ${parsed.error.message}`);
  return parsed.data;
}

async function createdAt(runDir: string): Promise<number | null> {
  const spec = await readJson(join(runDir, RUN_FILES.spec), RunSpec);
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
  const result = await readJson(join(runDir, RUN_FILES.result), RunResult);
  if (result) return { kind: 'finished', result };
  const claim = await readJson(join(runDir, RUN_FILES.claim), Claim);
  if (!claim) {
    const since = await createdAt(runDir);
    if (since === null) return { kind: 'missing' };
    const launched = await readJson(join(runDir, RUN_FILES.launched), Identity);
    return { kind: 'pending', since, launcherAlive: launched !== null && alive(launched) };
  }
  if (claim.kind === 'abandoned') return { kind: 'abandoned', reason: claim.reason };
  if (alive(claim.process)) return { kind: 'running', supervisor: claim.process };
  const late = await readJson(join(runDir, RUN_FILES.result), RunResult);
  if (late) return { kind: 'finished', result: late };
  const child = await readJson(join(runDir, RUN_FILES.child), ChildRecord);
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
