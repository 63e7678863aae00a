import { ApiException, type V1ObjectMeta } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { type Attempt, explain, KubernetesError, withRetry } from './errors.js';
import { EXPIRES_AT, type PreviewManifests } from './preview.js';

/** The API writes behind previews: create or replace, delete, expire (names: preview.ts). */

type Resource = 'deployments' | 'services' | 'ingresses';
const GROUP: Record<Resource, string> = {
  deployments: 'apps',
  services: '',
  ingresses: 'networking.k8s.io',
};

function attemptOn(
  clients: KubeClients,
  namespace: string,
  resource: Resource,
  verb: Attempt['verb'],
  name?: string,
): Attempt {
  const named = name ? { name } : {};
  return { verb, resource, group: GROUP[resource], namespace, server: clients.server, ...named };
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

// A 409 is an answer here (the object exists; someone wrote in between), not something
// withRetry should repeat unchanged.
async function unless409<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (isStatus(error, 409)) return { ok: false, error };
    throw error;
  }
}

interface Writer<T extends { metadata?: V1ObjectMeta }> {
  create(body: T): Promise<T>;
  read(): Promise<T>;
  replace(body: T): Promise<T>;
  /** Copies from the live object what the server set and an update may not change. */
  keep?(live: T, body: T): T;
}

/**
 * Create, else read and replace (create/update/get are all the Role grants; server-side apply
 * would need patch). The live metadata is kept, for its resourceVersion and what controllers
 * recorded there (finalizers, deployment.kubernetes.io/revision); labels and our annotations win.
 */
async function upsert<T extends { metadata?: V1ObjectMeta }>(
  on: (verb: Attempt['verb']) => Attempt,
  writer: Writer<T>,
  body: T,
  signal: AbortSignal,
): Promise<T> {
  const created = await withRetry(on('create'), () => unless409(() => writer.create(body)), signal);
  if (created.ok) return created.value;
  for (let tries = 1; ; tries++) {
    const live = await withRetry(on('get'), () => writer.read(), signal);
    if (live.metadata?.deletionTimestamp) {
      const { namespace, name } = on('update');
      throw new KubernetesError(
        `Preview ${name} in namespace ${namespace} is still being deleted (it was just torn down); deploy again in a minute.`,
        409,
        true,
      );
    }
    const annotations = { ...live.metadata?.annotations, ...body.metadata?.annotations };
    const next = {
      ...body,
      metadata: { ...live.metadata, labels: body.metadata?.labels, annotations },
    };
    const write = writer.keep ? writer.keep(live, next) : next;
    const replaced = await withRetry(
      on('update'),
      () => unless409(() => writer.replace(write)),
      signal,
    );
    if (replaced.ok) return replaced.value;
    if (tries >= 3) throw explain(replaced.error, on('update'));
  }
}

/** Creates or updates the three objects; returns the Deployment's name and metadata.generation after the write. */
export async function applyPreview(
  clients: KubeClients,
  namespace: string,
  manifests: PreviewManifests,
  signal: AbortSignal,
): Promise<{ name: string; generation: number }> {
  const { name } = manifests;
  const on = (resource: Resource) => (verb: Attempt['verb']) =>
    attemptOn(clients, namespace, resource, verb, name);
  // Routing first: once the rollout is followed to its end, the URL already leads to it.
  await upsert(
    on('services'),
    {
      create: (body) => clients.core.createNamespacedService({ namespace, body }),
      read: () => clients.core.readNamespacedService({ name, namespace }),
      replace: (body) => clients.core.replaceNamespacedService({ name, namespace, body }),
      // The cluster IP is allocated once and immutable; the IP families are defaulted from it.
      keep: (live, body) => ({
        ...body,
        spec: {
          ...body.spec,
          clusterIP: live.spec?.clusterIP,
          clusterIPs: live.spec?.clusterIPs,
          ipFamilies: live.spec?.ipFamilies,
          ipFamilyPolicy: live.spec?.ipFamilyPolicy,
        },
      }),
    },
    manifests.service,
    signal,
  );
  await upsert(
    on('ingresses'),
    {
      create: (body) => clients.networking.createNamespacedIngress({ namespace, body }),
      read: () => clients.networking.readNamespacedIngress({ name, namespace }),
      replace: (body) => clients.networking.replaceNamespacedIngress({ name, namespace, body }),
    },
    manifests.ingress,
    signal,
  );
  const written = await upsert(
    on('deployments'),
    {
      create: (body) => clients.apps.createNamespacedDeployment({ namespace, body }),
      read: () => clients.apps.readNamespacedDeployment({ name, namespace }),
      replace: (body) => clients.apps.replaceNamespacedDeployment({ name, namespace, body }),
    },
    manifests.deployment,
    signal,
  );
  return { name, generation: written.metadata?.generation ?? 0 };
}

/** Deletes the three objects of a preview; objects already gone are fine. */
export async function deletePreview(
  clients: KubeClients,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<void> {
  const remove = async (resource: Resource, fn: () => Promise<unknown>) =>
    withRetry(
      attemptOn(clients, namespace, resource, 'delete', name),
      async () => {
        try {
          await fn();
        } catch (err) {
          if (!isStatus(err, 404)) throw err;
        }
      },
      signal,
    );
  // Traffic first, pods last; Background so the ReplicaSets and pods go with the Deployment.
  await remove('ingresses', () => clients.networking.deleteNamespacedIngress({ name, namespace }));
  await remove('services', () => clients.core.deleteNamespacedService({ name, namespace }));
  await remove('deployments', () =>
    clients.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' }),
  );
}

/** Deletes the previews of this service/environment whose expiry annotation has passed; returns their names. */
export async function expirePreviews(
  clients: KubeClients,
  namespace: string,
  service: string,
  environment: string,
  now: Date,
  signal: AbortSignal,
): Promise<string[]> {
  const labelSelector = [
    'app.kubernetes.io/managed-by=slipway',
    'slipway.dev/preview=true',
    `app.kubernetes.io/name=${service}`,
    `slipway.dev/environment=${environment}`,
  ].join(',');
  const list = await withRetry(
    attemptOn(clients, namespace, 'deployments', 'list'),
    () => clients.apps.listNamespacedDeployment({ namespace, labelSelector }),
    signal,
  );
  const expired: string[] = [];
  for (const d of list.items) {
    const name = d.metadata?.name;
    // An unreadable date is left alone: deleting someone's preview on a guess is worse.
    const at = Date.parse(d.metadata?.annotations?.[EXPIRES_AT] ?? '');
    if (!name || Number.isNaN(at) || at >= now.getTime()) continue;
    await deletePreview(clients, namespace, name, signal);
    expired.push(name);
  }
  return expired;
}
