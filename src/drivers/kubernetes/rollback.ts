import {
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1PodTemplateSpec,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { KubernetesError, withRetry } from './errors.js';
import { tagOf } from './rollout.js';
import {
  attempt,
  readDeployment,
  setImages,
  type Target,
  type Written,
  writtenOf,
} from './update.js';

const REVISION = 'deployment.kubernetes.io/revision';
// Annotations kubectl keeps from the Deployment rather than copying from the old ReplicaSet
// (k8s.io/kubectl/pkg/polymorphichelpers/rollback.go, annotationsToSkip).
const KEEP = [
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
];

export interface Undone extends Written {
  /** What happened, for the chat message. */
  how: string;
}

/**
 * `kubectl rollout undo`: copies the pod template of an earlier ReplicaSet back into the
 * Deployment. With `toVersion`, the newest revision that ran that version (so its whole
 * template, environment included, comes back); without, the revision before the current one.
 * When no revision ran `toVersion` (history trimmed by revisionHistoryLimit), the image is set.
 */
export async function undo(
  clients: KubeClients,
  namespace: string,
  target: Target,
  repository: string | null,
  toVersion: string | null,
  annotations: Record<string, string>,
  signal: AbortSignal,
): Promise<Undone> {
  const live = await readDeployment(clients, namespace, target.name, signal);
  const history = await revisions(clients, namespace, live, signal);
  const current = Number(live.metadata?.annotations?.[REVISION] ?? 0);
  const versionOf = (t: V1PodTemplateSpec | undefined) => templateVersion(t, target, repository);
  let chosen: { rs: V1ReplicaSet; revision: number } | undefined;
  if (toVersion !== null) {
    if (versionOf(live.spec?.template) === toVersion)
      return {
        ...writtenOf(live, live, target.name),
        how: `${target.name} already runs ${toVersion}`,
      };
    chosen = history.find(
      (h) => h.revision !== current && versionOf(h.rs.spec?.template) === toVersion,
    );
    if (!chosen) {
      const image = `${repository}:${toVersion}`;
      const [written] = await setImages(clients, namespace, [target], image, annotations, signal);
      return {
        ...(written as Written),
        how: `${target.name} set to ${toVersion} (no revision of it was left)`,
      };
    }
  } else {
    chosen =
      history.find((h) => h.revision < current) ?? history.find((h) => h.revision !== current);
    if (!chosen) {
      throw new KubernetesError(
        `Deployment ${target.name} in namespace ${namespace} has no earlier revision to roll back to; name a version.`,
        409,
        false,
      );
    }
  }
  const template = structuredClone(chosen.rs.spec?.template ?? {});
  delete template.metadata?.labels?.['pod-template-hash'];
  const merged: Record<string, string> = {};
  for (const key of KEEP) {
    const value = live.metadata?.annotations?.[key];
    if (value !== undefined) merged[key] = value;
  }
  for (const [key, value] of Object.entries(chosen.rs.metadata?.annotations ?? {}))
    if (!KEEP.includes(key)) merged[key] = value;
  Object.assign(merged, annotations);
  const body = [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'replace', path: '/metadata/annotations', value: merged },
  ];
  const patched = await withRetry(
    attempt(clients, namespace, 'patch', target.name),
    () =>
      clients.apps.patchNamespacedDeployment(
        { name: target.name, namespace, body, fieldManager: 'slipway' },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    signal,
  );
  const version = versionOf(template);
  return {
    ...writtenOf(live, patched, target.name),
    how: `${target.name} back to revision ${chosen.revision}${version ? ` (${version})` : ''}`,
  };
}

/** The version a template runs: the tag its target containers share, else null. */
export function templateVersion(
  template: V1PodTemplateSpec | undefined,
  target: Target,
  repository: string | null,
): string | null {
  const containers = template?.spec?.containers ?? [];
  const tags = target.containers.map((name) =>
    tagOf(containers.find((c) => c.name === name)?.image, repository),
  );
  const first = tags[0] ?? null;
  return first !== null && tags.every((t) => t === first) ? first : null;
}

/** The Deployment's ReplicaSets, newest revision first (as `kubectl rollout history` sees them). */
async function revisions(
  clients: KubeClients,
  namespace: string,
  d: V1Deployment,
  signal: AbortSignal,
): Promise<{ rs: V1ReplicaSet; revision: number }[]> {
  const labels = d.spec?.selector.matchLabels ?? {};
  const labelSelector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const list = await withRetry(
    { ...attempt(clients, namespace, 'list'), resource: 'replicasets' },
    () =>
      clients.apps.listNamespacedReplicaSet({
        namespace,
        ...(labelSelector ? { labelSelector } : {}),
      }),
    signal,
  );
  const uid = d.metadata?.uid;
  return list.items
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.controller && o.uid === uid))
    .map((rs) => ({ rs, revision: Number(rs.metadata?.annotations?.[REVISION] ?? 0) }))
    .sort((a, b) => b.revision - a.revision);
}
