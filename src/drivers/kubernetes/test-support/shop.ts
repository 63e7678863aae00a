import { tmpdir } from 'node:os';
import { CustomObjectsApi, type KubeConfig, Watch } from '@kubernetes/client-node';
import { pino } from 'pino';
import {
  type Admin,
  appDeployment,
  freshNamespace,
  serviceAccountKubeconfig,
  shippedRoles,
  type TestCluster,
  waitRolledOut,
} from '../../../../test/support/k8s-cluster.js';
import { deployment } from '../../../chat/test-support/deployments.js';
import type { DriverContext } from '../../types.js';
import { HTTPROUTE, type HTTPRoute } from '../canary-route.js';
import { createKubernetesDriver, type KubernetesOptions, optionsSchema } from '../index.js';

export const REPO = 'registry.example.com/web';
const silent = pino({ level: 'silent' });

/** A kubernetes driver with nothing in memory, as a freshly started replica has it. */
export function newDriver() {
  return createKubernetesDriver({ dataDir: tmpdir(), env: {}, log: silent });
}

export function canaryOf(driver: ReturnType<typeof newDriver>) {
  if (!driver.canary) throw new Error('the kubernetes driver has no canary member');
  return driver.canary;
}

export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first rule's backendRefs as `name:weight`, the way the tests compare routes. */
export function routeSummary(route: HTTPRoute): string {
  const refs = route.spec?.rules?.[0]?.backendRefs ?? [];
  return refs.map((ref) => `${ref.name}:${ref.weight}`).join(' ');
}

/**
 * Every change a watch delivers, summarized; repeats in a row (no-op writes) merged. `onChange`
 * hears each new summary as it comes, for a test that acts on the object as a router would.
 */
export interface Recording {
  changes(): string[];
  stop(): void;
}

export async function recordChanges(
  config: KubeConfig,
  path: string,
  summary: (object: never) => string,
  onChange: (said: string) => void = () => {},
): Promise<Recording> {
  const seen: string[] = [];
  const request = await new Watch(config).watch(
    path,
    {},
    (type, object) => {
      const said = type === 'DELETED' ? 'deleted' : summary(object as never);
      if (seen.at(-1) === said) return;
      seen.push(said);
      onChange(said);
    },
    () => {},
  );
  return { changes: () => [...seen], stop: () => request.abort() };
}

/**
 * A namespace as a team has it before its first canary: Deployment web (4 pods of 1.0.0),
 * Service web, an HTTPRoute and an Ingress sending to it; and Slipway's kubernetes driver
 * acting as a service account bound to the Roles shipped in deploy/kubernetes/rbac.yaml.
 */
export async function openShop(
  cluster: TestCluster,
  admin: Admin,
  prefix: string,
  canary: unknown,
  roles = ['slipway-deployer', 'slipway-canary'],
) {
  const namespace = await freshNamespace(admin, prefix);
  const custom = admin.config.makeApiClient(CustomObjectsApi);
  await admin.apps.createNamespacedDeployment({
    namespace,
    body: appDeployment('web', `${REPO}:1.0.0`, { replicas: 4 }),
  });
  await admin.core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    },
  });
  await custom.createNamespacedCustomObject({
    ...HTTPROUTE,
    namespace,
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web' },
      spec: {
        parentRefs: [{ name: 'public' }],
        hostnames: ['shop.example.test'],
        rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
      },
    },
  });
  const backend = (name: string) => ({ service: { name, port: { number: 80 } } });
  await admin.networking.createNamespacedIngress({
    namespace,
    body: {
      metadata: {
        name: 'web',
        annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
      },
      spec: {
        ingressClassName: 'nginx',
        rules: [
          {
            host: 'shop.example.test',
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: backend('web') },
                { path: '/docs', pathType: 'Prefix', backend: backend('docs') },
              ],
            },
          },
        ],
      },
    },
  });
  await waitRolledOut(admin, namespace, 'web');
  const rules = shippedRoles()
    .filter((role) => roles.includes(role.metadata?.name ?? ''))
    .flatMap((role) => role.rules ?? []);
  const kubeconfig = await serviceAccountKubeconfig(cluster, admin, namespace, 'slipway', rules);
  const options = optionsSchema.parse({ kubeconfig, namespace, timeout: '60s', canary });
  return { namespace, options, driver: newDriver(), ...lookups(admin, custom, namespace, options) };
}
export type Shop = Awaited<ReturnType<typeof openShop>>;

function lookups(
  admin: Admin,
  custom: CustomObjectsApi,
  namespace: string,
  options: KubernetesOptions,
) {
  const exists = (p: Promise<unknown>) =>
    p.then(
      () => true,
      (err: { code?: number }) => {
        if (err.code === 404) return false;
        throw err;
      },
    );
  const read = (name: string) => admin.apps.readNamespacedDeployment({ name, namespace });
  return {
    /** What the engine would hand the driver to release `version` of web. */
    ctx: (version: string): DriverContext<KubernetesOptions> => ({
      deployment: deployment({ id: `dep-${version}`, version, driver: 'kubernetes' }),
      image: REPO,
      options,
      log: silent,
      signal: AbortSignal.timeout(120_000),
      progress: () => {},
    }),
    read,
    route: async () =>
      (await custom.getNamespacedCustomObject({
        ...HTTPROUTE,
        namespace,
        name: 'web',
      })) as HTTPRoute,
    /** The images of the pods a selector picks (those not on their way out), sorted. */
    podImages: async (labelSelector: string) =>
      (await admin.core.listNamespacedPod({ namespace, labelSelector })).items
        .filter((pod) => !pod.metadata?.deletionTimestamp)
        .map((pod) => pod.spec?.containers[0]?.image)
        .sort(),
    canaryExists: () => exists(read('web-canary')),
    canaryServiceExists: () =>
      exists(admin.core.readNamespacedService({ name: 'web-canary', namespace })),
  };
}
