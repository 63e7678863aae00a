import { PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { type Attempt, KubernetesError, withRetry } from './errors.js';
import type { KubernetesOptions } from './schema.js';

/** One Deployment and the containers in it that take the service's image. */
export interface Target {
  name: string;
  containers: string[];
}

/** What a write produced: the controller has rolled it out once it observed this generation. */
export interface Written {
  name: string;
  generation: number;
}

/** The Deployments a service/environment updates; by default the one named like the service. */
export function targetsOf(options: KubernetesOptions, service: string): Target[] {
  const listed = options.deployments ?? [{ name: service }];
  return listed.map((t) => ({
    name: t.name,
    containers: 'containers' in t && t.containers ? t.containers : [service],
  }));
}

/** Annotations that tell who changed a Deployment, through which Slipway deployment. */
export function changeAnnotations(cause: string, deploymentId: string, actor: string) {
  return {
    'kubernetes.io/change-cause': cause,
    'slipway.dev/deployment-id': deploymentId,
    'slipway.dev/requested-by': actor,
  };
}

export function attempt(
  clients: KubeClients,
  namespace: string,
  verb: Attempt['verb'],
  name?: string,
): Attempt {
  return {
    verb,
    resource: 'deployments',
    group: 'apps',
    namespace,
    server: clients.server,
    ...(name ? { name } : {}),
  };
}

export async function readDeployment(
  clients: KubeClients,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<V1Deployment> {
  return withRetry(
    attempt(clients, namespace, 'get', name),
    () => clients.apps.readNamespacedDeployment({ name, namespace }),
    signal,
  );
}

/** Refuses a target whose live Deployment lacks one of the containers to update. */
export function checkContainers(live: V1Deployment, target: Target, namespace: string): void {
  const have = (live.spec?.template.spec?.containers ?? []).map((c) => c.name);
  const missing = target.containers.filter((c) => !have.includes(c));
  if (missing.length > 0) {
    throw new KubernetesError(
      `Deployment ${target.name} in namespace ${namespace} has no container ${missing.map((c) => `"${c}"`).join(', ')} (it has: ${have.join(', ')}); fix "containers" in the kubernetes options.`,
      422,
      false,
    );
  }
}

/**
 * `kubectl set image` for each target, plus the change cause: a strategic merge patch that
 * matches containers by name. The containers are checked first, because such a patch would add
 * a container that does not exist instead of refusing.
 */
export async function setImages(
  clients: KubeClients,
  namespace: string,
  targets: Target[],
  image: string,
  annotations: Record<string, string>,
  signal: AbortSignal,
): Promise<Written[]> {
  const written: Written[] = [];
  for (const target of targets) {
    const live = await readDeployment(clients, namespace, target.name, signal);
    checkContainers(live, target, namespace);
    const body = {
      metadata: { annotations },
      spec: {
        template: {
          spec: { containers: target.containers.map((name) => ({ name, image })) },
        },
      },
    };
    const patched = await withRetry(
      attempt(clients, namespace, 'patch', target.name),
      () =>
        clients.apps.patchNamespacedDeployment(
          { name: target.name, namespace, body, fieldManager: 'slipway' },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        ),
      signal,
    );
    written.push({ name: target.name, generation: patched.metadata?.generation ?? 0 });
  }
  return written;
}
