import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type V1Deployment,
  type V1PolicyRule,
  type V1Role,
} from '@kubernetes/client-node';
import { describe } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { settingsFor, tempDir } from './engine-harness.js';
import { findGo, startTestCluster, type TestCluster } from './k8s-testenv.js';

/**
 * Kubernetes e2e tests need the control plane built from source, which needs Go. Without Go
 * they are skipped, loudly; in CI (SLIPWAY_REQUIRE_K8S=1, set by .ci/run) that is an error.
 */
const go = findGo();
if (!go) {
  const why =
    'No Go toolchain: the Kubernetes e2e tests (test/e2e/kubernetes*.test.ts) cannot build their control plane.';
  if (process.env.SLIPWAY_REQUIRE_K8S === '1')
    throw new Error(`${why} SLIPWAY_REQUIRE_K8S=1 forbids skipping them.`);
  console.warn(
    `\n${'!'.repeat(100)}\n!! SKIPPED: ${why}\n!! Install Go (https://go.dev/dl/) to run them.\n${'!'.repeat(100)}\n`,
  );
}
export const describeWithCluster = go ? describe : describe.skip;

/** Building the binaries the first time takes ~12 minutes on 2 cores; later starts take seconds. */
export const CLUSTER_START_MS = 45 * 60_000;

export interface Admin {
  config: KubeConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
  networking: NetworkingV1Api;
  rbac: RbacAuthorizationV1Api;
}

export function adminOf(cluster: TestCluster): Admin {
  const config = new KubeConfig();
  config.loadFromFile(cluster.kubeconfig);
  return {
    config,
    apps: config.makeApiClient(AppsV1Api),
    core: config.makeApiClient(CoreV1Api),
    networking: config.makeApiClient(NetworkingV1Api),
    rbac: config.makeApiClient(RbacAuthorizationV1Api),
  };
}

export { startTestCluster, type TestCluster };

let namespaces = 0;
/** A fresh namespace per test, so tests never see each other's objects. */
export async function freshNamespace(admin: Admin, prefix: string): Promise<string> {
  namespaces += 1;
  const name = `${prefix}-${process.pid}-${namespaces}`;
  await admin.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

/** A Deployment as a team would have it before Slipway touches it. */
export function appDeployment(
  name: string,
  image: string,
  options: {
    replicas?: number;
    readyDelay?: string;
    progressDeadlineSeconds?: number;
    env?: Record<string, string>;
  } = {},
): V1Deployment {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: options.replicas ?? 2,
      selector: { matchLabels: { app: name } },
      ...(options.progressDeadlineSeconds
        ? { progressDeadlineSeconds: options.progressDeadlineSeconds }
        : {}),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: { app: name },
          ...(options.readyDelay
            ? { annotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': options.readyDelay } }
            : {}),
        },
        spec: {
          containers: [
            {
              name,
              image,
              env: Object.entries(options.env ?? {}).map(([k, value]) => ({ name: k, value })),
            },
          ],
        },
      },
    },
  };
}

/** Waits until the Deployment has rolled out (all replicas updated and available). */
export async function waitRolledOut(
  admin: Admin,
  namespace: string,
  name: string,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await admin.apps.readNamespacedDeployment({ name, namespace });
    const s = d.status ?? {};
    const want = d.spec?.replicas ?? 1;
    if (
      (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
      s.updatedReplicas === want &&
      s.availableReplicas === want &&
      (s.replicas ?? 0) === want
    )
      return d;
    if (Date.now() > deadline)
      throw new Error(`${namespace}/${name} did not roll out: ${JSON.stringify(s)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export function imageOf(d: V1Deployment, container?: string): string | undefined {
  const containers = d.spec?.template.spec?.containers ?? [];
  return (container ? containers.find((c) => c.name === container) : containers[0])?.image;
}

export interface K8sApp {
  app: App;
  dir: string;
  waitFinal(id: string, timeoutMs?: number): Promise<Deployment>;
  close(): Promise<void>;
}

/** A Slipway (store, engine, kubernetes driver) on a config written for the test. */
export async function startK8sApp(configInput: unknown): Promise<K8sApp> {
  const dir = tempDir('slipway-k8s-app-');
  const app = await createApp({
    config: Config.parse(configInput),
    settings: settingsFor(dir),
    log: createLogger({ level: process.env.SLIPWAY_TEST_LOG ?? 'silent' }),
  });
  app.engine.start();
  return {
    app,
    dir,
    async waitFinal(id, timeoutMs = 60_000) {
      const signal = AbortSignal.timeout(timeoutMs);
      const d = await app.engine.waitFor(id, signal, 100);
      if (signal.aborted)
        throw new Error(`${id} still ${d.state} after ${timeoutMs} ms: ${d.progress ?? ''}`);
      return d;
    },
    async close() {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function kubeconfigPath(cluster: TestCluster, name = 'admin.kubeconfig'): string {
  return join(cluster.stateDir, name);
}

/** The Roles shipped in deploy/kubernetes/rbac.yaml, as a user would apply them. */
export function shippedRoles(): V1Role[] {
  const text = readFileSync(
    resolve(import.meta.dirname, '../../deploy/kubernetes/rbac.yaml'),
    'utf8',
  );
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as { kind?: string } & V1Role)
    .filter((doc) => doc.kind === 'Role');
}

/** A ServiceAccount bound to a Role with `rules`, and a kubeconfig holding its token. */
export async function serviceAccountKubeconfig(
  cluster: TestCluster,
  admin: Admin,
  namespace: string,
  name: string,
  rules: V1PolicyRule[],
): Promise<string> {
  await admin.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await admin.rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
  await admin.rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  const token = await admin.core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const server = admin.config.getCurrentCluster();
  const file = join(cluster.stateDir, `${name}-${namespace}.kubeconfig`);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'testenv', server: server?.server ?? '', caData: server?.caData }],
    users: [{ name, token: token.status?.token }],
    contexts: [{ name, cluster: 'testenv', user: name }],
    currentContext: name,
  });
  writeFileSync(file, kc.exportConfig());
  return file;
}
