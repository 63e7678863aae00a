import { spawn } from 'node:child_process';
import { formatDuration } from '../../core/duration.js';
import type { TargetStatus } from '../types.js';
import { clip, lastLines } from './output-log.js';
import { drain, exitOf, signalGroup, spawnErrorText, spawned } from './processes.js';

export interface StatusRequest {
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  killGraceMs: number;
  /** Output kept from each of stdout and stderr. */
  limitBytes: number;
  signal: AbortSignal;
}

const DETAIL_CHARS = 300;

/** Collects a stream's first `limit` bytes: the version is on the first line. */
function collector(limit: number): { add(chunk: Buffer): void; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add(chunk) {
      if (size >= limit) return;
      chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

/**
 * Runs the status command directly (not through a supervisor: it changes nothing, so a crash
 * loses nothing and the engine simply asks again). The first stdout line is the live version;
 * exit 0 means healthy; the lines after the first, if any, are the detail. A command that cannot
 * be started throws (that is misconfiguration, not an unhealthy target); one that hangs past the
 * timeout counts as unhealthy, like a failed probe.
 */
export async function runStatus(request: StatusRequest): Promise<TargetStatus> {
  request.signal.throwIfAborted();
  const [file = '', ...args] = request.argv;
  const child = spawn(file, args, {
    cwd: request.cwd,
    env: request.env,
    shell: false,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = exitOf(child);
  const stdout = collector(request.limitBytes);
  const stderr = collector(request.limitBytes);
  child.stdout?.on('data', (chunk: Buffer) => stdout.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.add(chunk));
  const error = await spawned(child);
  const pid = child.pid;
  if (error || pid === undefined) {
    const why = error ? spawnErrorText(error, request.cwd) : 'no pid';
    throw new Error(`could not run the status command "${file}": ${why}`);
  }

  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  // An arrow, not a declaration: declarations are hoisted and lose the `pid` narrowing.
  const stop = (): void => {
    if (killTimer) return;
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), request.killGraceMs);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, request.timeoutMs);
  request.signal.addEventListener('abort', stop, { once: true });
  const [exitCode, signal] = await exited;
  clearTimeout(timer);
  clearTimeout(killTimer);
  request.signal.removeEventListener('abort', stop);
  if (killTimer) signalGroup(pid, 'SIGKILL');
  await drain(child);
  request.signal.throwIfAborted();

  const [first = '', ...rest] = stdout.text().split('\n');
  const version = first.trim() || null;
  if (timedOut) {
    const detail = `status command timed out after ${formatDuration(request.timeoutMs)}`;
    return { version: null, healthy: false, detail };
  }
  if (exitCode === 0) {
    const more = lastLines(rest.join('\n'), 3).join('\n');
    const detail = more || (version ? `running ${version}` : 'healthy (no version printed)');
    return { version, healthy: true, detail: clip(detail, DETAIL_CHARS) };
  }
  const how = exitCode !== null ? `exit ${exitCode}` : `killed by ${signal}`;
  const output = lastLines(`${stderr.text()}\n${rest.join('\n')}`, 3).join('\n');
  const detail = output ? `${how}: ${output}` : how;
  return { version, healthy: false, detail: clip(detail, DETAIL_CHARS) };
}
