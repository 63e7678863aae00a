import type { V1Deployment } from '@kubernetes/client-node';
import type { KubeClients } from '../kubernetes/client.js';
import { KubernetesError, withRetry } from '../kubernetes/errors.js';
import { rolloutOf, tagOf } from '../kubernetes/rollout.js';
import { attempt, readDeployment, type Written } from '../kubernetes/update.js';

/** The label helm's own chart template (`helm create`) puts on everything a release makes. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

export interface Workloads {
  deployments: V1Deployment[];
  /** How they were chosen, for messages: "labelled app.kubernetes.io/instance=web". */
  chosenBy: string;
}

/** The Deployments of a release: those named in the options, else those with its instance label. */
export async function releaseDeployments(
  clients: KubeClients,
  namespace: string,
  release: string,
  names: string[] | undefined,
  signal: AbortSignal,
): Promise<Workloads> {
  if (names) {
    const deployments = [];
    for (const name of names) {
      try {
        deployments.push(await readDeployment(clients, namespace, name, signal));
      } catch (err) {
        if (err instanceof KubernetesError && err.status === 404) {
          throw new KubernetesError(
            `Release ${release} has no Deployment ${name} in namespace ${namespace}: fix "deployments" in the helm driver options.`,
            404,
            false,
          );
        }
        throw err;
      }
    }
    return { deployments, chosenBy: `named ${names.join(', ')}` };
  }
  const labelSelector = `${INSTANCE_LABEL}=${release}`;
  const list = await withRetry(
    attempt(clients, namespace, 'list'),
    () => clients.apps.listNamespacedDeployment({ namespace, labelSelector }),
    signal,
  ).catch((err: unknown) => {
    if (err instanceof KubernetesError && err.status === 404) {
      throw new KubernetesError(
        `Namespace ${namespace} does not exist at ${clients.server}: fix "namespace" in the helm driver options.`,
        404,
        false,
      );
    }
    throw err;
  });
  const deployments = [...list.items].sort((a, b) =>
    (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
  return { deployments, chosenBy: `labelled ${labelSelector}` };
}

/** What the rollout watcher follows: each Deployment at the generation helm's write produced. */
export function writtenOf(deployments: V1Deployment[]): Written[] {
  return deployments.map((d) => ({
    name: d.metadata?.name ?? '',
    generation: d.metadata?.generation ?? 0,
  }));
}

/** Image tags of every container of the Deployments; of `repository` only, when it is known. */
export function liveTags(deployments: V1Deployment[], repository: string | null): string[] {
  const tags = deployments.flatMap((d) =>
    (d.spec?.template.spec?.containers ?? []).map((c) => tagOf(c.image, repository)),
  );
  return [...new Set(tags.filter((t): t is string => t !== null))];
}

export interface WorkloadHealth {
  complete: boolean;
  detail: string;
}

/** Whether every Deployment has rolled out, by `kubectl rollout status`'s rules. */
export function healthOf(deployments: V1Deployment[]): WorkloadHealth {
  const rollouts = deployments.map((d) => rolloutOf(d));
  return {
    complete: rollouts.every((r) => r.state === 'complete'),
    detail: rollouts.map((r) => r.detail).join('; '),
  };
}
