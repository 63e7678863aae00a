import {
  ApiException,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Ingress,
  type V1ObjectMeta,
  type V1Service,
} from '@kubernetes/client-node';
import { isCanaryOf } from './canary-objects.js';
import { HTTPROUTE, type HTTPRoute } from './canary-route.js';
import type { KubeClients } from './client.js';
import { type Attempt, KubernetesError, withRetry } from './errors.js';

/** The API calls behind a canary: read, apply, patch and delete its objects (no decisions). */

type Resource = 'deployments' | 'services' | 'ingresses' | 'httproutes';
const GROUP: Record<Resource, string> = {
  deployments: 'apps',
  services: '',
  ingresses: 'networking.k8s.io',
  httproutes: HTTPROUTE.group,
};
const KIND: Record<Resource, string> = {
  deployments: 'Deployment',
  services: 'Service',
  ingresses: 'Ingress',
  httproutes: 'HTTPRoute',
};

interface Objects {
  deployments: V1Deployment;
  services: V1Service;
  ingresses: V1Ingress;
  httproutes: HTTPRoute;
}

type Patch = (typeof PatchStrategy)[keyof typeof PatchStrategy];

/** One kind of object in one namespace, through the API group that serves it. */
interface Endpoint<T> {
  read(name: string): Promise<T>;
  patch(name: string, body: unknown, type: Patch): Promise<T>;
}
/** The kinds a canary creates, and so may delete: never the team's HTTPRoute. */
type Owned = Exclude<Resource, 'httproutes'>;
interface Removable<T> extends Endpoint<T> {
  remove(name: string, uid: string): Promise<unknown>;
}

// Server-side apply takes ownership of every field Slipway writes, and a canary object is all
// Slipway's: force, so a field another writer touched meanwhile does not stop the release.
function patchOptions(type: Patch) {
  return {
    fieldManager: 'slipway',
    ...(type === PatchStrategy.ServerSideApply ? { force: true } : {}),
  };
}

function endpoints(clients: KubeClients, namespace: string) {
  const { apps, core, networking, custom } = clients;
  const header = (type: Patch) => setHeaderOptions('Content-Type', type);
  // Background: the Deployment goes at once, its ReplicaSets and pods after it; the uid
  // precondition deletes the object that was read, never one created in between.
  const deleteOptions = (name: string, uid: string) => ({
    name,
    namespace,
    propagationPolicy: 'Background',
    body: { preconditions: { uid } },
  });
  const route = { ...HTTPROUTE, namespace };
  return {
    deployments: {
      read: (name) => apps.readNamespacedDeployment({ name, namespace }),
      patch: (name, body, type) =>
        apps.patchNamespacedDeployment(
          { name, namespace, body, ...patchOptions(type) },
          header(type),
        ),
      remove: (name, uid) => apps.deleteNamespacedDeployment(deleteOptions(name, uid)),
    },
    services: {
      read: (name) => core.readNamespacedService({ name, namespace }),
      patch: (name, body, type) =>
        core.patchNamespacedService({ name, namespace, body, ...patchOptions(type) }, header(type)),
      remove: (name, uid) => core.deleteNamespacedService(deleteOptions(name, uid)),
    },
    ingresses: {
      read: (name) => networking.readNamespacedIngress({ name, namespace }),
      patch: (name, body, type) =>
        networking.patchNamespacedIngress(
          { name, namespace, body, ...patchOptions(type) },
          header(type),
        ),
      remove: (name, uid) => networking.deleteNamespacedIngress(deleteOptions(name, uid)),
    },
    httproutes: {
      read: (name) => custom.getNamespacedCustomObject({ ...route, name }),
      patch: (name, body, type) =>
        custom.patchNamespacedCustomObject(
          { ...route, name, body, ...patchOptions(type) },
          header(type),
        ),
    },
  } satisfies { [R in Owned]: Removable<Objects[R]> } & { httproutes: Endpoint<HTTPRoute> };
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

/** Reads, applies, patches and deletes the objects of one namespace, retrying what is worth it. */
export class CanaryApi {
  private readonly api: ReturnType<typeof endpoints>;

  constructor(
    private readonly clients: KubeClients,
    readonly namespace: string,
    private readonly signal: AbortSignal,
  ) {
    this.api = endpoints(clients, namespace);
  }

  attempt(resource: Resource, verb: Attempt['verb'], name: string): Attempt {
    const { namespace, clients } = this;
    return { verb, resource, group: GROUP[resource], namespace, server: clients.server, name };
  }

  /** The object, or null when there is none by that name. */
  async read<R extends Resource>(resource: R, name: string): Promise<Objects[R] | null> {
    this.signal.throwIfAborted();
    const endpoint = this.api[resource] as Endpoint<Objects[R]>;
    return withRetry(
      this.attempt(resource, 'get', name),
      async () => {
        try {
          return await endpoint.read(name);
        } catch (err) {
          if (isStatus(err, 404)) return null;
          throw err;
        }
      },
      this.signal,
    );
  }

  /** Like read, for an object that must exist (a 404 says which one is missing). */
  async get<R extends Resource>(resource: R, name: string): Promise<Objects[R]> {
    this.signal.throwIfAborted();
    const endpoint = this.api[resource] as Endpoint<Objects[R]>;
    return withRetry(this.attempt(resource, 'get', name), () => endpoint.read(name), this.signal);
  }

  /**
   * Creates or updates a canary object with server-side apply. An object of that name that is
   * not a canary of `primary` is someone else's: refused, never taken over.
   */
  async apply<R extends Resource>(
    resource: R,
    body: Objects[R] & { metadata?: V1ObjectMeta },
    primary: string,
  ): Promise<Objects[R]> {
    const name = body.metadata?.name ?? '';
    const live = await this.read(resource, name);
    if (live && !isCanaryOf((live as { metadata?: V1ObjectMeta }).metadata, primary)) {
      throw this.notOurs(resource, name);
    }
    return this.patch(resource, name, body, PatchStrategy.ServerSideApply);
  }

  async patch<R extends Resource>(
    resource: R,
    name: string,
    body: unknown,
    type: Patch,
  ): Promise<Objects[R]> {
    this.signal.throwIfAborted();
    const endpoint = this.api[resource] as Endpoint<Objects[R]>;
    return withRetry(
      this.attempt(resource, 'patch', name),
      () => endpoint.patch(name, body, type),
      this.signal,
    );
  }

  /**
   * A merge patch that names the resourceVersion it was computed from; null when the object
   * changed since (409), for the caller to read it again: repeating the same patch cannot work.
   */
  async patchIfUnchanged<R extends Resource>(
    resource: R,
    name: string,
    body: { metadata: { resourceVersion?: string }; [field: string]: unknown },
  ): Promise<Objects[R] | null> {
    this.signal.throwIfAborted();
    const endpoint = this.api[resource] as Endpoint<Objects[R]>;
    return withRetry(
      this.attempt(resource, 'patch', name),
      async () => {
        try {
          return await endpoint.patch(name, body, PatchStrategy.MergePatch);
        } catch (err) {
          if (isStatus(err, 409)) return null;
          throw err;
        }
      },
      this.signal,
    );
  }

  /** Deletes the canary object `name` of `primary`, if there is one; another's is left alone. */
  async removeCanary(resource: Owned, name: string, primary: string): Promise<void> {
    const live = (await this.read(resource, name)) as { metadata?: V1ObjectMeta } | null;
    const uid = live?.metadata?.uid;
    if (!live || !uid || !isCanaryOf(live.metadata, primary)) return;
    const endpoint = this.api[resource] as Removable<unknown>;
    await withRetry(
      this.attempt(resource, 'delete', name),
      async () => {
        try {
          await endpoint.remove(name, uid);
        } catch (err) {
          // Gone already, or replaced by a newer object (the uid precondition): not ours to delete.
          if (!isStatus(err, 404) && !isStatus(err, 409)) throw err;
        }
      },
      this.signal,
    );
  }

  /** Refuses to touch `<name>-canary` when it is not Slipway's canary of `<name>`. */
  notOurs(resource: Resource, name: string): KubernetesError {
    const primary = name.replace(/-canary$/, '');
    return new KubernetesError(
      `${KIND[resource]} ${name} in namespace ${this.namespace} is not a Slipway canary of ${primary}: Slipway names its canary objects <name>-canary and will not overwrite another's. Rename or remove that ${KIND[resource]}.`,
      409,
      false,
    );
  }
}
