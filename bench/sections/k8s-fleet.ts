import { request } from 'node:https';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type V1Deployment,
  Watch,
} from '@kubernetes/client-node';
import { createLocalSlack } from '../../src/local-slack/index.js';
import { startTestCluster, type TestCluster } from '../../test/support/k8s-testenv.js';
import type { Defer } from '../context.js';
import { BOT_TOKEN, COMMAND_CHANNEL, channelOf, DEV, OWNER, SIGNING_SECRET } from '../slipway.js';
import { clusterProblem } from './kubernetes.js';

/** The test control plane and an admin's clients, for the Kubernetes sections (i) and (j). */
export interface BenchCluster {
  cluster: TestCluster;
  config: KubeConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
}

/** One service of a generated fleet: a Deployment of its name in `namespace`. */
export interface FleetService {
  name: string;
  namespace: string;
  /** Its new version never becomes Ready (kwok leaves images tagged `bad` Pending). */
  failing: boolean;
}

export const REPOSITORY = 'registry.bench/fleet';
export const GOOD = '1.0.0';

export async function startBenchCluster(
  log: (line: string) => void,
  defer: Defer,
): Promise<BenchCluster | { skipped: string }> {
  const problem = clusterProblem();
  if (problem) return { skipped: problem };
  log('  starting the test control plane');
  let cluster: TestCluster;
  try {
    cluster = await startTestCluster();
    defer(() => cluster.stop());
  } catch (err) {
    return { skipped: `the test control plane did not start: ${String(err).slice(0, 500)}` };
  }
  const config = new KubeConfig();
  config.loadFromFile(cluster.kubeconfig);
  return {
    cluster,
    config,
    apps: config.makeApiClient(AppsV1Api),
    core: config.makeApiClient(CoreV1Api),
  };
}

/** Runs `work` on every item, `width` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  width: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

/** Creates the namespaces and a one-replica Deployment per service, running GOOD. */
export async function createFleet(
  k: BenchCluster,
  services: readonly FleetService[],
  progressDeadlineSeconds: number,
): Promise<void> {
  for (const namespace of new Set(services.map((s) => s.namespace)))
    await k.core.createNamespace({ body: { metadata: { name: namespace } } });
  await inParallel(services, 16, async (s) => {
    await k.apps.createNamespacedDeployment({
      namespace: s.namespace,
      body: fleetDeployment(s.name, progressDeadlineSeconds),
    });
  });
}

function fleetDeployment(name: string, progressDeadlineSeconds: number): V1Deployment {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      progressDeadlineSeconds,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: `${REPOSITORY}:${GOOD}` }] },
      },
    },
  };
}

/** True once every Deployment of the namespaces has rolled out. */
export async function allRolledOut(k: BenchCluster, namespaces: readonly string[]) {
  for (const namespace of namespaces) {
    const list = await k.apps.listNamespacedDeployment({ namespace });
    for (const d of list.items) {
      const s = d.status ?? {};
      const done =
        (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
        s.updatedReplicas === 1 &&
        s.availableReplicas === 1 &&
        s.replicas === 1;
      if (!done) return false;
    }
  }
  return true;
}

/** slipway.yaml for a fleet: one environment, `bench`, rolled back automatically on failure. */
export function fleetConfig(
  services: readonly FleetService[],
  options: { concurrency: number; timeout: string },
): Record<string, unknown> {
  return {
    operator: 'operator',
    admins: ['operator'],
    groups: { devs: [DEV] },
    engine: { concurrency: options.concurrency },
    environments: [
      { name: 'bench', order: 1, deployers: ['@devs'], autoRollback: true, verifyWindow: '5s' },
    ],
    services: services.map((s) => ({
      name: s.name,
      image: REPOSITORY,
      channel: channelOf(s.name),
      owners: [OWNER],
      driver: {
        driver: 'kubernetes',
        options: {
          namespace: s.namespace,
          deployments: [{ name: s.name, containers: ['app'] }],
          timeout: options.timeout,
        },
      },
      environments: { bench: {} },
    })),
  };
}

/** Every channel a fleet's messages go to, for its local Slack double. */
export function fleetChannels(services: readonly FleetService[]) {
  return [COMMAND_CHANNEL, ...services.map((s) => channelOf(s.name))].map((id) => ({
    id,
    name: id.toLowerCase(),
  }));
}

/** A local Slack double for a fleet's messages, stopped when the section ends; its API URL. */
export async function startFleetSlack(
  services: readonly FleetService[],
  defer: Defer,
): Promise<string> {
  const slack = createLocalSlack({
    channels: fleetChannels(services),
    users: [
      { id: DEV, name: 'dev' },
      { id: OWNER, name: 'owner' },
    ],
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
  });
  const { apiUrl } = await slack.start();
  defer(() => slack.stop());
  return apiUrl;
}

/** The version a service's command deploys: the failing ones' never become Ready. */
export function versionOf(s: FleetService, round = 1): string {
  return s.failing ? `2.0.${round}-bad` : `2.0.${round}`;
}

/** The API server's own metrics (Prometheus text), read with the admin's certificate. */
export async function apiServerMetrics(k: BenchCluster): Promise<string> {
  const opts: Parameters<typeof request>[1] = {};
  await k.config.applyToHTTPSOptions(opts);
  const server = k.config.getCurrentCluster()?.server ?? '';
  return new Promise((resolve, reject) => {
    const req = request(`${server}/metrics`, { ...opts, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Watches of Deployments open now on the API server, by scope: the controller-manager's
 * informers watch every namespace at once (scope "cluster"); Slipway's watch one namespace each.
 */
export function openDeploymentWatches(metrics: string): { namespace: number; cluster: number } {
  const open = { namespace: 0, cluster: 0 };
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_longrunning_requests{')) continue;
    if (!line.includes('resource="deployments"') || !line.includes('verb="WATCH"')) continue;
    const scope = /scope="(\w+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (scope === 'namespace') open.namespace += value;
    if (scope === 'cluster') open.cluster += value;
  }
  return open;
}

/** What the benchmark's own watch of every namespace saw happen to each Deployment, and when. */
export interface DeploymentTimeline {
  /** performance.now() when ProgressDeadlineExceeded was first seen. */
  deadlineAt?: number;
  /** performance.now() when the pod template was first seen back on GOOD after a change. */
  revertedAt?: number;
  changed: boolean;
}

/**
 * One cluster-wide watch of Deployments (scope "cluster", so it never counts among Slipway's
 * namespace watches), noting per Deployment when its progress deadline passed and when its
 * template went back to GOOD.
 */
export async function watchTimelines(k: BenchCluster, defer: Defer) {
  const timelines = new Map<string, DeploymentTimeline>();
  const onEvent = (_type: string, d: V1Deployment) => {
    const at = performance.now();
    const name = d.metadata?.name;
    if (!name) return;
    const t = timelines.get(name) ?? { changed: false };
    timelines.set(name, t);
    const image = d.spec?.template.spec?.containers[0]?.image ?? '';
    const good = image === `${REPOSITORY}:${GOOD}`;
    if (!good) t.changed = true;
    else if (t.changed && t.revertedAt === undefined) t.revertedAt = at;
    const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded' && t.deadlineAt === undefined)
      t.deadlineAt = at;
  };
  // client-node ends a watch quiet for 30 s: open it again (events seen twice change nothing).
  let current: AbortController | null = null;
  let stopped = false;
  const open = async (): Promise<void> => {
    if (stopped) return;
    current = await new Watch(k.config).watch('/apis/apps/v1/deployments', {}, onEvent, () => {
      if (!stopped) setTimeout(() => void open().catch(() => {}), 100);
    });
  };
  await open();
  defer(async () => {
    stopped = true;
    current?.abort();
  });
  return timelines;
}
