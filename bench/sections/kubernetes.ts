import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  startTestCluster,
  TESTENV_SCRIPT,
  type TestCluster,
} from '../../test/support/k8s-testenv.js';
import type { BenchContext, Defer } from '../context.js';
import { ROOT } from '../load-spec.js';
import { startServerChild } from '../processes.js';
import { sendCommand, until } from '../send.js';
import { channelOf, IN_FLIGHT, startSlipway } from '../slipway.js';
import { type LatencySummary, round, summarize } from '../stats.js';

const run = promisify(execFile);
const NAME = 'k8sweb';
const REPO = 'registry.bench/k8sweb';
const BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'etcd'];

/** (d) From the command (or kubectl's start) to the new image in the Deployment's pod template. */
export type KubernetesFigure =
  | { skipped: string }
  | {
      iterations: number;
      /** `first`: the first iteration alone (Slipway then creates its client and shared watch). */
      slipway: LatencySummary & { first: number };
      kubectl:
        | (LatencySummary & { first: number; exitP50: number; binary: string })
        | { skipped: string };
    };

/** Why the control plane cannot be used, or null when its binaries are built. */
export function clusterProblem(): string | null {
  let binDir: string;
  try {
    binDir = execFileSync('bash', [TESTENV_SCRIPT, 'bin-dir'], { encoding: 'utf8' }).trim();
  } catch (err) {
    return `scripts/k8s-testenv.sh bin-dir failed: ${String(err)}`;
  }
  const missing = BINARIES.filter((b) => !existsSync(join(binDir, b)));
  if (missing.length > 0 && !process.env.SLIPWAY_ETCD)
    return `the test control plane is not built (${missing.join(', ')} missing in ${binDir}): run "bash scripts/k8s-testenv.sh build" once (~15 min on 2 cores)`;
  return null;
}

/** kubectl from the testenv cache (or BENCH_KUBECTL), never a different one found on PATH. */
export function findKubectl(): string | { skipped: string } {
  if (process.env.BENCH_KUBECTL) return process.env.BENCH_KUBECTL;
  const binDir = execFileSync('bash', [TESTENV_SCRIPT, 'bin-dir'], { encoding: 'utf8' }).trim();
  const path = join(binDir, 'kubectl');
  return existsSync(path)
    ? path
    : {
        skipped: `no kubectl in ${binDir}: build k8s.io/kubernetes/cmd/kubectl there from scripts/k8s-testenv/kube (see bench/README.md), or set BENCH_KUBECTL`,
      };
}

/** The monotonic clock image-watch reads, in ms: one clock for both processes. */
const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Watches one Deployment from a process of its own (bench/targets/image-watch.ts); resolves
 * waiters with the moment its pod template first showed an image.
 */
async function watchImages(kubeconfig: string, namespace: string) {
  const waiters = new Map<string, (at: number) => void>();
  const seen = new Map<string, number>();
  const child = await startServerChild(
    'image-watch',
    [join(ROOT, 'bench/targets/image-watch.ts'), kubeconfig, namespace, NAME, 'app'],
    process.env,
    /watching on port (\d+)/,
  );
  let partial = '';
  child.child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + String(chunk)).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^seen (\S+) ([\d.]+)$/.exec(line);
      if (!m?.[1]) continue;
      const at = Number(m[2]);
      seen.set(m[1], at);
      waiters.get(m[1])?.(at);
    }
  });
  return {
    stop: () => child.stop(),
    image(image: string, timeoutMs = 60_000): Promise<number> {
      const at = seen.get(image);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${image} not seen:\n${child.output()}`)),
          timeoutMs,
        );
        waiters.set(image, (t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
  };
}

async function rolledOut(apps: AppsV1Api, namespace: string): Promise<boolean> {
  const d = await apps.readNamespacedDeployment({ name: NAME, namespace });
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    s.updatedReplicas === 1 &&
    s.availableReplicas === 1 &&
    s.replicas === 1
  );
}

export async function measureKubernetes(
  ctx: BenchContext,
  iterations: number,
  defer: Defer,
): Promise<KubernetesFigure> {
  const problem = clusterProblem();
  if (problem) return { skipped: problem };
  const kubectl = findKubectl();
  ctx.log('  starting the test control plane');
  let cluster: TestCluster;
  try {
    cluster = await startTestCluster();
    defer(() => cluster.stop());
  } catch (err) {
    return { skipped: `the test control plane did not start: ${String(err).slice(0, 500)}` };
  }
  const config = new KubeConfig();
  config.loadFromFile(cluster.kubeconfig);
  const apps = config.makeApiClient(AppsV1Api);
  const namespace = `bench-${process.pid}`;
  await config
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: namespace } } });
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: NAME, labels: { app: NAME } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: NAME } },
        template: {
          metadata: { labels: { app: NAME } },
          spec: { containers: [{ name: 'app', image: `${REPO}:0.0.0` }] },
        },
      },
    },
  });
  await until('the Deployment to roll out', () => rolledOut(apps, namespace), 60_000);
  const slipway = await startSlipway(
    { held: 0, heldSeconds: 0, fast: 0, kubernetes: { namespace, deployment: NAME } },
    ctx.slack.apiUrl,
    { KUBECONFIG: cluster.kubeconfig },
  );
  defer(() => slipway.close());
  const watch = await watchImages(cluster.kubeconfig, namespace);
  defer(() => watch.stop());
  const viaSlipway: number[] = [];
  const viaKubectl: number[] = [];
  const kubectlExit: number[] = [];
  for (let i = 1; i <= iterations; i++) {
    const image = `${REPO}:1.0.${i}`;
    const t0 = now();
    await sendCommand(
      slipway.eventsUrl,
      `deploy ${NAME} 1.0.${i} to bench`,
      channelOf(NAME),
      `${ctx.sink.url}/r/kubernetes`,
    );
    viaSlipway.push((await watch.image(image)) - t0);
    await until(
      'the Slipway deployment to finish',
      async () => (await slipway.deployments(IN_FLIGHT, NAME)).length === 0,
      120_000,
    );
    if (typeof kubectl !== 'string') continue;
    const kImage = `${REPO}:2.0.${i}`;
    const k0 = now();
    const seen = watch.image(kImage);
    seen.catch(() => {}); // awaited below; this only keeps a failed kubectl from leaving it unhandled
    await run(kubectl, [
      '--kubeconfig',
      cluster.kubeconfig,
      '-n',
      namespace,
      'set',
      'image',
      `deployment/${NAME}`,
      `app=${kImage}`,
    ]);
    kubectlExit.push(now() - k0);
    viaKubectl.push((await seen) - k0);
    await until('the kubectl change to roll out', () => rolledOut(apps, namespace), 60_000);
  }
  return {
    iterations,
    slipway: { ...summarize(viaSlipway), first: round(viaSlipway[0] ?? Number.NaN) },
    kubectl:
      typeof kubectl === 'string'
        ? {
            ...summarize(viaKubectl),
            first: round(viaKubectl[0] ?? Number.NaN),
            exitP50: summarize(kubectlExit).p50,
            binary: kubectl,
          }
        : kubectl,
  };
}
