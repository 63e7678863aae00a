import type { ChildProcess } from 'node:child_process';

/**
 * Stops a child process we started: SIGTERM, then SIGKILL when it is still there after
 * `graceMs`. Resolves once it has exited (at once when it already had).
 */
export function terminate(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
