import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** scripts/k8s-testenv.sh: builds (once, cached outside the repo) and runs the control plane. */
export const TESTENV_SCRIPT = resolve(import.meta.dirname, '../../scripts/k8s-testenv.sh');

/** The Go toolchain the script would build with, or null when there is none. */
export function findGo(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.GO && existsSync(env.GO)) return env.GO;
  try {
    return execFileSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null;
  }
}

export interface TestCluster {
  /** Admin kubeconfig (group system:masters), self-contained (certificates inlined). */
  kubeconfig: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** The state directory: certificates, etcd data, logs/. */
  stateDir: string;
  /** Stop the API server and start it again on the same port; resolves when /readyz is ok. */
  restartApiServer(secondsDown?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway control plane (etcd, kube-apiserver, controller-manager, scheduler,
 * kwok with one fake node). The first call builds the binaries (several minutes); later
 * ones start in seconds. Pods whose image tag contains `bad` never become Ready.
 * Stopped by stop() or, at the latest, when this process exits.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const stateDir = mkdtempSync(join(tmpdir(), 'slipway-k8s-'));
  const kubeconfig = join(stateDir, 'admin.kubeconfig');
  const env = { ...process.env, SLIPWAY_K8S_STATE: stateDir };
  const script = (...args: string[]) =>
    run('bash', [TESTENV_SCRIPT, ...args], { env, maxBuffer: 16 << 20, timeout: 60 * 60_000 });
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync('bash', [TESTENV_SCRIPT, 'stop'], { env, stdio: 'ignore' });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  };
  process.once('exit', stopSync);
  try {
    await script('start', kubeconfig);
  } catch (err) {
    const e = err as { stderr?: string };
    stopSync();
    throw new Error(`k8s-testenv failed to start:\n${e.stderr ?? String(err)}`);
  }
  const server = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1] ?? '';
  return {
    kubeconfig,
    server,
    stateDir,
    async restartApiServer(secondsDown = 0) {
      await script('restart-apiserver', String(secondsDown));
    },
    async stop() {
      process.removeListener('exit', stopSync);
      stopSync();
    },
  };
}
