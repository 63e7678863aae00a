import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
} from '@kubernetes/client-node';
import { ValidationError } from '../../core/errors.js';
import { DirectApi } from './direct.js';
import type { KubernetesOptions } from './schema.js';
import { WarmKubeConfig } from './warm-config.js';

/** The API groups the driver speaks, built from one KubeConfig. */
export interface KubeClients {
  config: KubeConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
  networking: NetworkingV1Api;
  /** Resources of CRDs, such as the Gateway API's HTTPRoute. */
  custom: CustomObjectsApi;
  /** Plain JSON calls for a deploy's critical path; null behind a proxy (see DirectApi). */
  direct: DirectApi | null;
  /** Where the API server is, for error messages. */
  server: string;
  /** Identifies the cluster connection: watchers are shared per key and namespace. */
  key: string;
}

type Connection = Pick<KubernetesOptions, 'kubeconfig' | 'context' | 'inCluster'>;

/**
 * Chooses the credentials the way kubectl and client libraries do, with options first:
 * `inCluster`, else the `kubeconfig` option, else `$KUBECONFIG`, else the pod's service
 * account when running in a cluster, else `~/.kube/config`; then `context` when given.
 */
export function loadKubeConfig(options: Connection, env: NodeJS.ProcessEnv): KubeConfig {
  const config = new WarmKubeConfig();
  const inCluster =
    options.inCluster ??
    (!options.kubeconfig && !env.KUBECONFIG && Boolean(env.KUBERNETES_SERVICE_HOST));
  if (inCluster) {
    if (!env.KUBERNETES_SERVICE_HOST) {
      throw new ValidationError(
        'inCluster is set but KUBERNETES_SERVICE_HOST is not: Slipway is not running in a pod; give a kubeconfig instead.',
      );
    }
    config.loadFromCluster();
    return config;
  }
  const files = options.kubeconfig
    ? [options.kubeconfig]
    : (env.KUBECONFIG ?? join(env.HOME ?? homedir(), '.kube', 'config')).split(':').filter(Boolean);
  try {
    if (files.length === 1) config.loadFromFile(files[0] as string);
    else config.loadFromString(mergeFiles(files));
  } catch (err) {
    throw new ValidationError(
      `Could not read the kubeconfig ${files.join(':')}: ${(err as Error).message}. Set "kubeconfig" in the driver options or $KUBECONFIG to a readable file.`,
    );
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      const known = config.contexts.map((c) => c.name).join(', ') || 'none';
      throw new ValidationError(
        `The kubeconfig has no context "${options.context}" (it has: ${known}); fix "context" in the driver options.`,
      );
    }
    config.setCurrentContext(options.context);
  }
  if (!config.getCurrentCluster()) {
    throw new ValidationError(
      `The kubeconfig ${files.join(':')} names no current cluster; set "context" in the driver options.`,
    );
  }
  return config;
}

// KUBECONFIG may list several files; kubectl merges them, the first one wins per name.
function mergeFiles(files: string[]): string {
  const merged = new KubeConfig();
  let current = '';
  for (const file of files) {
    const one = new KubeConfig();
    one.loadFromFile(file);
    current ||= one.getCurrentContext();
    for (const c of one.clusters) if (!merged.getCluster(c.name)) merged.addCluster(c);
    for (const u of one.users) if (!merged.getUser(u.name)) merged.addUser(u);
    for (const c of one.contexts) if (!merged.getContextObject(c.name)) merged.addContext(c);
  }
  merged.setCurrentContext(current);
  return merged.exportConfig();
}

/** Builds (once per connection) the API clients for a driver's options. */
export function clientCache(env: NodeJS.ProcessEnv) {
  const cache = new Map<string, KubeClients>();
  return (options: Connection): KubeClients => {
    const key = JSON.stringify([
      options.kubeconfig ?? null,
      options.context ?? null,
      options.inCluster ?? null,
    ]);
    const known = cache.get(key);
    if (known) return known;
    const config = loadKubeConfig(options, env);
    const clients: KubeClients = {
      config,
      apps: config.makeApiClient(AppsV1Api),
      core: config.makeApiClient(CoreV1Api),
      networking: config.makeApiClient(NetworkingV1Api),
      custom: config.makeApiClient(CustomObjectsApi),
      direct: DirectApi.for(config),
      server: config.getCurrentCluster()?.server ?? 'the API server',
      key,
    };
    cache.set(key, clients);
    return clients;
  };
}
