import { PatchStrategy, type V1Deployment } from '@kubernetes/client-node';
import type { CanaryApi } from './canary-api.js';
import {
  canaryIngress,
  canaryName,
  canaryReplicas,
  canaryService,
  ingressWeight,
  isCanaryOf,
  NGINX_WEIGHT,
  WEIGHT,
} from './canary-objects.js';
import {
  type HTTPRoute,
  type RouteRule,
  routesToCanary,
  routeWeight,
  unweighRoute,
  weighRoute,
} from './canary-route.js';
import { KubernetesError } from './errors.js';
import type { CanaryOptions } from './schema.js';
import type { Written } from './update.js';

/** How a canary's share of the traffic is set, read back and taken away. */
export interface Router {
  /** For people: "HTTPRoute web", "Ingress web-canary", "the replica ratio". */
  readonly name: string;
  /** The canary Deployment records its weight (the replica ratio, where pods cannot say it). */
  readonly recordsWeight: boolean;
  /**
   * Checks the routing objects fit, and returns the pod labels the canary must not match (the
   * selector of the Service in front of the primary), so only the router sends it traffic.
   */
  hideFrom(primary: V1Deployment): Promise<Record<string, string>>;
  /** How many pods the canary runs at `weight`. */
  replicas(primary: V1Deployment, weight: number): number;
  /**
   * Sends `weight` percent to the canary, creating the routing it lacks; returns the canary
   * Deployment's write when pods must come up before that share holds.
   */
  route(primary: V1Deployment, weight: number): Promise<Written | null>;
  /** Takes every request from the canary where its routing exists; creates nothing. */
  drain(): Promise<void>;
  /** Removes the canary's routing (the canary Deployment is the caller's). */
  remove(): Promise<void>;
  /** The percent of the traffic the canary takes now (0 without routing). */
  weight(canary: V1Deployment | null): Promise<number>;
}

export function routerFor(options: CanaryOptions, api: CanaryApi, primary: string): Router {
  switch (options.router) {
    case 'gateway-api':
      return gatewayRouter(api, primary, options.httpRoute ?? '', options.service ?? primary);
    case 'ingress-nginx':
      return nginxRouter(api, primary, options.ingress ?? '', options.service ?? primary);
    case 'replicas':
      return replicaRatio(api, primary);
  }
}

/** The Service in front of the primary, which must select its pods (else it is the wrong one). */
async function serviceSelector(api: CanaryApi, primary: V1Deployment, service: string) {
  const live = await api.get('services', service);
  const selector = live.spec?.selector ?? {};
  const podLabels = primary.spec?.template.metadata?.labels ?? {};
  const entries = Object.entries(selector);
  if (entries.length === 0 || entries.some(([key, value]) => podLabels[key] !== value)) {
    const name = primary.metadata?.name;
    const says = entries.map(([k, v]) => `${k}=${v}`).join(',') || 'none';
    throw new KubernetesError(
      `Service ${service} in namespace ${api.namespace} does not select the pods of Deployment ${name} (its selector: ${says}): set canary.service to the Service in front of ${name}.`,
      422,
      false,
    );
  }
  return { live, selector };
}

function gatewayRouter(api: CanaryApi, primary: string, route: string, service: string): Router {
  const namespace = api.namespace;
  // Read, rewrite, and write only if nobody wrote the route in between; else read it again.
  async function rewrite(change: (route: HTTPRoute) => RouteRule[] | null): Promise<void> {
    for (let tries = 1; ; tries++) {
      const live = await api.get('httproutes', route);
      const rules = change(live);
      if (!rules) return;
      const body = {
        metadata: { resourceVersion: live.metadata?.resourceVersion },
        spec: { rules },
      };
      if (await api.patchIfUnchanged('httproutes', route, body)) return;
      if (tries >= 5) {
        throw new KubernetesError(
          `HTTPRoute ${route} in namespace ${namespace} kept changing while Slipway set the canary's weight; try again.`,
          409,
          true,
        );
      }
    }
  }
  return {
    name: `HTTPRoute ${route}`,
    recordsWeight: false,
    async hideFrom(deployment) {
      const { selector } = await serviceSelector(api, deployment, service);
      routeWeight(await api.get('httproutes', route), service, namespace);
      return selector;
    },
    replicas: (deployment) => deployment.spec?.replicas ?? 1,
    async route(deployment, weight) {
      const { live } = await serviceSelector(api, deployment, service);
      await api.apply('services', canaryService(deployment, live), primary);
      await rewrite((r) => weighRoute(r, service, namespace, weight));
      return null;
    },
    async drain() {
      await rewrite((r) =>
        routesToCanary(r, service, namespace) ? weighRoute(r, service, namespace, 0) : null,
      );
    },
    async remove() {
      await rewrite((r) =>
        routesToCanary(r, service, namespace) ? unweighRoute(r, service, namespace) : null,
      );
      await api.removeCanary('services', canaryName(service), primary);
    },
    async weight() {
      const live = await api.read('httproutes', route);
      return live && routesToCanary(live, service, namespace)
        ? routeWeight(live, service, namespace)
        : 0;
    },
  };
}

function nginxRouter(api: CanaryApi, primary: string, ingress: string, service: string): Router {
  const canary = canaryName(ingress);
  async function canaryOf(deployment: V1Deployment, weight: number) {
    const body = canaryIngress(deployment, await api.get('ingresses', ingress), service, weight);
    if (!body) {
      throw new KubernetesError(
        `Ingress ${ingress} in namespace ${api.namespace} sends no traffic to Service ${service}: set canary.service to the Service its backends name, or canary.ingress to the Ingress in front of ${service}.`,
        422,
        false,
      );
    }
    return body;
  }
  async function ours() {
    const live = await api.read('ingresses', canary);
    return live && isCanaryOf(live.metadata, primary) ? live : null;
  }
  return {
    name: `Ingress ${canary}`,
    recordsWeight: false,
    async hideFrom(deployment) {
      const { selector } = await serviceSelector(api, deployment, service);
      await canaryOf(deployment, 0);
      return selector;
    },
    replicas: (deployment) => deployment.spec?.replicas ?? 1,
    async route(deployment, weight) {
      const { live } = await serviceSelector(api, deployment, service);
      await api.apply('services', canaryService(deployment, live), primary);
      await api.apply('ingresses', await canaryOf(deployment, weight), primary);
      return null;
    },
    async drain() {
      if (!(await ours())) return;
      const body = { metadata: { annotations: { [NGINX_WEIGHT]: '0' } } };
      await api.patch('ingresses', canary, body, PatchStrategy.MergePatch);
    },
    async remove() {
      await api.removeCanary('ingresses', canary, primary);
      await api.removeCanary('services', canaryName(service), primary);
    },
    weight: async () => ingressWeight(await ours()),
  };
}

/**
 * No router: the canary's pods sit behind the primary's Service beside the primary's, which
 * keeps its count until promotion. The share of requests follows the share of ready pods, so it
 * is approximate: 4 primary pods and 25% give 1 canary pod, a fifth of the pods.
 */
function replicaRatio(api: CanaryApi, primary: string): Router {
  const name = canaryName(primary);
  async function scale(replicas: number, weight: number): Promise<Written> {
    const body = { metadata: { annotations: { [WEIGHT]: String(weight) } }, spec: { replicas } };
    const written = await api.patch('deployments', name, body, PatchStrategy.MergePatch);
    return { name, generation: written.metadata?.generation ?? 0 };
  }
  return {
    name: 'the replica ratio',
    recordsWeight: true,
    hideFrom: async () => ({}),
    replicas: (deployment, weight) => canaryReplicas(deployment.spec?.replicas ?? 1, weight),
    route: (deployment, weight) =>
      scale(canaryReplicas(deployment.spec?.replicas ?? 1, weight), weight),
    async drain() {
      const live = await api.read('deployments', name);
      if (live && isCanaryOf(live.metadata, primary)) await scale(0, 0);
    },
    remove: async () => {},
    async weight(canary) {
      const weight = Number(canary?.metadata?.annotations?.[WEIGHT] ?? 0);
      return Number.isFinite(weight) ? weight : 0;
    },
  };
}
