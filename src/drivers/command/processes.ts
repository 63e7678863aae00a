import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Who a recorded pid was. A pid alone is not an identity: after a reboot or a long time the
 * number is reused by an unrelated process. On Linux the boot id and the start time in
 * /proc/<pid>/stat (field 22, proc(5)) pin it down; elsewhere we can only ask whether the pid
 * exists.
 */
export interface ProcessIdentity {
  pid: number;
  bootId: string | null;
  startTicks: string | null;
}

function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

function readStat(pid: number): { state: string; startTicks: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    const startTicks = fields[19];
    return state && startTicks ? { state, startTicks } : null;
  } catch {
    return null;
  }
}

const HAS_PROC = readStat(process.pid) !== null;

export function identify(pid: number): ProcessIdentity {
  return { pid, bootId: readBootId(), startTicks: readStat(pid)?.startTicks ?? null };
}

/** True while the very process `id` describes still runs (zombies count as gone). */
export function isAlive(id: ProcessIdentity): boolean {
  if (id.bootId !== null) {
    const bootId = readBootId();
    if (bootId !== null && bootId !== id.bootId) return false;
  }
  if (HAS_PROC) {
    const stat = readStat(id.pid);
    if (stat === null || stat.state === 'Z' || stat.state === 'X') return false;
    return id.startTicks === null || stat.startTicks === id.startTicks;
  }
  try {
    process.kill(id.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists but belongs to another user (nodejs.org/api/process.html#processkillpid-signal).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Signals every process in the group led by `pid`. Commands are spawned `detached`, which on
 * POSIX makes them leaders of a new process group (nodejs.org/api/child_process.html#optionsdetached),
 * so a negative pid reaches the command and whatever it started (kill(2)).
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Signals `id` only if it is still that process, never a stranger that reused the pid. */
export function signalProcess(id: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!isAlive(id)) return false;
  try {
    process.kill(id.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once the child was created, or with the error that prevented it (ENOENT, EACCES…). */
export function spawned(child: ChildProcess): Promise<Error | null> {
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', resolve);
  });
}

/**
 * Resolves when the child exits. Call it right after spawn(): an 'exit' emitted before anyone
 * listens is lost. (Not events.once, which would also reject on a spawn 'error'.)
 */
export function exitOf(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve([code, signal]));
  });
}

/** How long to keep reading pipes after a command exited (its children may hold them open). */
const DRAIN_MS = 2_000;

/** Reads what is left in the child's pipes, without waiting on background processes forever. */
export async function drain(child: ChildProcess): Promise<void> {
  const closed = Promise.all(
    [child.stdout, child.stderr].map((stream) =>
      stream && !stream.closed ? new Promise((resolve) => stream.once('close', resolve)) : null,
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, DRAIN_MS);
  });
  await Promise.race([closed, late]);
  clearTimeout(timer);
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/**
 * Node reports a missing working directory as `spawn <program> ENOENT`, which sends people
 * looking for the program (github.com/nodejs/node/issues/11520): say which one is missing.
 */
export function spawnErrorText(error: Error, cwd: string): string {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(cwd)) {
    return `the working directory ${cwd} does not exist`;
  }
  return error.message;
}
