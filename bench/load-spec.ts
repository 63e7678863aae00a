import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { LatencySummary } from './stats.js';

export const BENCH_DIR = import.meta.dirname;
export const ROOT = resolve(BENCH_DIR, '..');

/** What the load generator (bench/load.ts, its own process) is asked to send. */
export interface LoadSpec {
  /** closed: `concurrency` keep-alive connections, each sending the next request when answered. */
  /** burst: `count` requests fired at once, each on its own connection. */
  mode: 'closed' | 'burst';
  url: string;
  secret: string;
  /** The command's text; each `{n}` becomes `<runId>.<request number>`, unique in the run. */
  text: string;
  /** Makes `{n}` unique across several loads of one server (a number, so a version stays valid). */
  runId?: number;
  /** The slash command; `/deploy` unless a diagnostic sends one Slipway ignores. */
  command?: string;
  user: string;
  channel: string;
  /** Base of each request's response_url; the generator appends `/<trigger_id>/<sent-at ms>`. */
  responseUrl: string;
  /** trigger_id prefix: every request gets `<prefix>.<n>`, so none is a repeated delivery. */
  triggerPrefix: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  count: number;
  deadlineMs: number;
  timeoutMs: number;
}

export interface LoadResult {
  mode: LoadSpec['mode'];
  /** Requests sent in all, warm-up included. */
  sent: number;
  /** Requests in the measured window (closed) or in the burst. */
  measured: number;
  /** Measured requests answered 200 and taken (not refused as busy) per second of the window. */
  rps: number;
  windowMs: number;
  latency: LatencySummary;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  /** Burst: answered after `deadlineMs`, or not answered at all. Closed: not answered 200. */
  missed: number;
  /** Answered in time with Slipway's "busy, nothing was done": refused, not taken. */
  refused: number;
  /** Requests (of `sent`) whose acknowledgement carried the command's answer. */
  answeredInAck: number;
  /** CPU the generator itself used in the window, as a share of one core. */
  cpuShare: number;
}

/**
 * Runs the load generator in a child process and returns what it measured. `onMark` is called
 * when its measured window starts and ends (lines `@window-start`, `@window-end`).
 */
export async function runLoad(
  spec: LoadSpec,
  onMark: (mark: string) => void = () => {},
): Promise<LoadResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(BENCH_DIR, 'load.ts'), JSON.stringify(spec)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  let seen = 0;
  child.stdout.on('data', (chunk) => {
    out += String(chunk);
    for (const m of out.slice(seen).matchAll(/^@([a-z-]+)\n/gm)) onMark(m[1] ?? '');
    seen = out.lastIndexOf('\n') + 1;
  });
  child.stderr.on('data', (chunk) => {
    err += String(chunk);
  });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{'))
    throw new Error(`load generator failed (exit ${code}):\n${err}${out}`);
  return JSON.parse(line) as LoadResult;
}
