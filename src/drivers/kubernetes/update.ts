import { PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { type Attempt, KubernetesError, withRetry } from './errors.js';
import { deadlineExceededAt } from './rollout.js';
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
  /** A ProgressDeadlineExceeded there before the write (its time), not this rollout's failure. */
  staleDeadline?: number;
}

/** What the API server answers to a write, as far as the driver reads it. */
export type Patched = Pick<V1Deployment, 'metadata'>;

/** What a write produced, from the Deployment before it and the one the API server returned. */
export function writtenOf(before: V1Deployment, after: Patched, name: string): Written {
  const staleDeadline = deadlineExceededAt(before);
  return {
    name,
    generation: after.metadata?.generation ?? 0,
    ...(staleDeadline === undefined ? {} : { staleDeadline }),
  };
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

/** Where the driver may find a Deployment as a watch last saw it, to write without reading first. */
export type KnownDeployments = (name: string) => V1Deployment | null;

/**
 * `kubectl set image` for each target, plus the change cause: a strategic merge patch that
 * matches containers by name. The containers are checked first, because such a patch would add
 * a container that does not exist instead of refusing. They are checked on the Deployment as the
 * namespace's watch last saw it when there is one (`known`), and the patch then carries its
 * resourceVersion: the API server applies it only to that very version, so the check holds
 * without a read before the write. A Deployment that changed meanwhile (409) is read and
 * patched as without a watch.
 */
export async function setImages(
  clients: KubeClients,
  namespace: string,
  targets: Target[],
  image: string,
  annotations: Record<string, string>,
  signal: AbortSignal,
  known: KnownDeployments = () => null,
): Promise<Written[]> {
  const written: Written[] = [];
  for (const target of targets) {
    const seen = known(target.name);
    const fast = seen && (await patchSeen(clients, namespace, target, seen, image, annotations));
    const [before, patched] =
      seen && fast
        ? [seen, fast]
        : await readAndPatch(clients, namespace, target, image, annotations, signal);
    written.push(writtenOf(before, patched, target.name));
  }
  return written;
}

function imagePatch(target: Target, image: string, metadata: Record<string, unknown>) {
  return {
    metadata,
    spec: {
      template: { spec: { containers: target.containers.map((name) => ({ name, image })) } },
    },
  };
}

function patchDeployment(
  clients: KubeClients,
  namespace: string,
  name: string,
  body: object,
): Promise<Patched> {
  if (clients.direct) {
    const path = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${encodeURIComponent(name)}?fieldManager=slipway`;
    return clients.direct.send('PATCH', path, body, PatchStrategy.StrategicMergePatch);
  }
  return clients.apps.patchNamespacedDeployment(
    { name, namespace, body, fieldManager: 'slipway' },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
}

/** The patch on the version the watch saw; null when that version is gone or the call failed. */
async function patchSeen(
  clients: KubeClients,
  namespace: string,
  target: Target,
  seen: V1Deployment,
  image: string,
  annotations: Record<string, string>,
): Promise<Patched | null> {
  const resourceVersion = seen.metadata?.resourceVersion;
  if (!resourceVersion) return null;
  try {
    checkContainers(seen, target, namespace);
    const body = imagePatch(target, image, { annotations, resourceVersion });
    return await patchDeployment(clients, namespace, target.name, body);
  } catch {
    // A changed Deployment (409), one the watch saw without the containers, or any failure:
    // the read below decides, and its errors are the ones worth telling.
    return null;
  }
}

async function readAndPatch(
  clients: KubeClients,
  namespace: string,
  target: Target,
  image: string,
  annotations: Record<string, string>,
  signal: AbortSignal,
): Promise<[V1Deployment, Patched]> {
  const live = await readDeployment(clients, namespace, target.name, signal);
  checkContainers(live, target, namespace);
  const body = imagePatch(target, image, { annotations });
  const patched = await withRetry(
    attempt(clients, namespace, 'patch', target.name),
    () => patchDeployment(clients, namespace, target.name, body),
    signal,
  );
  return [live, patched];
}
