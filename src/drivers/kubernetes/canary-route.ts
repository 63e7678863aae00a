import type { V1ObjectMeta } from '@kubernetes/client-node';
import { canaryName } from './canary-objects.js';
import { KubernetesError } from './errors.js';

/**
 * The Gateway API's HTTPRoute, as far as a canary reads and writes it: the backendRefs of its
 * rules (gateway-api.sigs.k8s.io/reference/spec/#httpbackendref). Its CRD defaults `group` to
 * "", `kind` to Service and `weight` to 1; a request goes to a backend of its rule with
 * probability weight / sum of the rule's weights.
 */
export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [field: string]: unknown;
}
export interface RouteRule {
  backendRefs?: BackendRef[];
  [field: string]: unknown;
}
export interface HTTPRoute {
  metadata?: V1ObjectMeta;
  spec?: { rules?: RouteRule[]; [field: string]: unknown };
}

export const HTTPROUTE = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  plural: 'httproutes',
} as const;

/** A route names a Service of its own namespace when it leaves group, kind and namespace out. */
function isService(ref: BackendRef, name: string, namespace: string): boolean {
  return (
    ref.name === name &&
    (ref.group ?? '') === '' &&
    (ref.kind ?? 'Service') === 'Service' &&
    (ref.namespace ?? namespace) === namespace
  );
}

function routeName(route: HTTPRoute): string {
  return route.metadata?.name ?? 'HTTPRoute';
}

/**
 * The rules that send to `service`. Such a rule must send to it alone (and to its canary):
 * with a third backend, the weights written would not be the canary's share of the traffic.
 */
function splitRules(route: HTTPRoute, service: string, namespace: string): RouteRule[] {
  const canary = canaryName(service);
  const rules = (route.spec?.rules ?? []).filter((rule) =>
    (rule.backendRefs ?? []).some((ref) => isService(ref, service, namespace)),
  );
  if (rules.length === 0) {
    throw new KubernetesError(
      `HTTPRoute ${routeName(route)} in namespace ${namespace} sends no traffic to Service ${service}: set canary.service to the Service its backendRefs name, or canary.httpRoute to the route in front of ${service}.`,
      422,
      false,
    );
  }
  for (const rule of rules) {
    const others = (rule.backendRefs ?? []).filter(
      (ref) => !isService(ref, service, namespace) && !isService(ref, canary, namespace),
    );
    if (others.length > 0) {
      throw new KubernetesError(
        `HTTPRoute ${routeName(route)} in namespace ${namespace} splits the traffic of ${service} with ${others.map((r) => r.name).join(', ')}: a canary's weight is its share only where ${service} is the rule's one backend.`,
        422,
        false,
      );
    }
  }
  return rules;
}

/**
 * The route's rules with `weight` percent of what goes to `service` going to its canary: the
 * Service's backendRef takes 100 − weight, the canary's (added beside it, same port and
 * filters) takes weight.
 */
export function weighRoute(
  route: HTTPRoute,
  service: string,
  namespace: string,
  weight: number,
): RouteRule[] {
  const split = new Set(splitRules(route, service, namespace));
  const canary = canaryName(service);
  return (route.spec?.rules ?? []).map((rule) => {
    if (!split.has(rule)) return rule;
    const refs = rule.backendRefs ?? [];
    const primary = refs.find((ref) => isService(ref, service, namespace)) as BackendRef;
    const weighed = refs
      .filter((ref) => !isService(ref, canary, namespace))
      .map((ref) => ({ ...ref, weight: 100 - weight }));
    return { ...rule, backendRefs: [...weighed, { ...primary, name: canary, weight }] };
  });
}

/**
 * The route's rules without the canary's backendRefs; the Service's own goes back to weight 1,
 * the value the CRD gives a backendRef that states none.
 */
export function unweighRoute(route: HTTPRoute, service: string, namespace: string): RouteRule[] {
  const canary = canaryName(service);
  return (route.spec?.rules ?? []).map((rule) => {
    const refs = rule.backendRefs ?? [];
    if (!refs.some((ref) => isService(ref, canary, namespace))) return rule;
    return {
      ...rule,
      backendRefs: refs
        .filter((ref) => !isService(ref, canary, namespace))
        .map((ref) => (isService(ref, service, namespace) ? { ...ref, weight: 1 } : ref)),
    };
  });
}

/** The route sends the canary a backendRef (at any weight). */
export function routesToCanary(route: HTTPRoute, service: string, namespace: string): boolean {
  const canary = canaryName(service);
  return (route.spec?.rules ?? []).some((rule) =>
    (rule.backendRefs ?? []).some((ref) => isService(ref, canary, namespace)),
  );
}

/** The percent of `service`'s traffic the route sends to its canary (by its first split rule). */
export function routeWeight(route: HTTPRoute, service: string, namespace: string): number {
  const canary = canaryName(service);
  const [rule] = splitRules(route, service, namespace);
  const refs = rule?.backendRefs ?? [];
  const weightOf = (name: string) =>
    refs
      .filter((ref) => isService(ref, name, namespace))
      .reduce((sum, ref) => sum + (ref.weight ?? 1), 0);
  const total = weightOf(service) + weightOf(canary);
  return total === 0 ? 0 : Math.round((weightOf(canary) / total) * 100);
}
