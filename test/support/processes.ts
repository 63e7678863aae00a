import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { removeTestDir } from './engine-harness.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
}

/**
 * Starts `slipway serve` from source in a child process and waits until it listens. `args` go
 * after `serve`; `launcher` is a command that runs node, with its arguments first (setpriv, to
 * take from root the capability to write through file modes); `entry` another CLI to run: a
 * compiled one (`<outDir>/cli/index.js`) runs with plain node, sources under tsx.
 */
export async function startServer(
  env: NodeJS.ProcessEnv,
  timeoutMs = 20_000,
  options: { args?: string[]; launcher?: string[]; entry?: string } = {},
): Promise<ServerProcess> {
  const entry = options.entry ?? resolve(ROOT, 'src/cli/index.ts');
  const argv = [
    ...(options.launcher ?? []),
    process.execPath,
    ...(entry.endsWith('.js') ? [] : ['--import', 'tsx']),
    entry,
    'serve',
    ...(options.args ?? []),
  ];
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      SLIPWAY_LOG_LEVEL: 'info',
      // Tests stop servers at once unless they test the drain.
      SLIPWAY_SHUTDOWN_DELAY: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const check = () => {
      const m = /"port":(\d+).*"msg":"slipway is serving"/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  return { child, port, output: () => output };
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
}

/** Stops a test's server, waiting until it has exited, and removes its data directory. */
export async function stopServerAndRemove(
  server: ServerProcess | null,
  dir: string | null,
): Promise<void> {
  server?.child.kill('SIGTERM');
  if (server) await exited(server.child);
  if (dir) await removeTestDir(dir);
}
