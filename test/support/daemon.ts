import type { ChildProcess } from 'node:child_process';

/**
 * A server a test starts from its Debian package (Prometheus, Alertmanager): waited for until
 * its `/-/ready` answers, and stopped with SIGTERM, then SIGKILL after 5 s.
 */
export async function waitUntilReady(
  name: string,
  url: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${name} was not ready in 20 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export { terminate } from '../../src/core/terminate.js';
