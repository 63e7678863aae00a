import { createHash } from 'node:crypto';
import type {
  V1Deployment,
  V1Ingress,
  V1IngressBackend,
  V1ObjectMeta,
  V1OwnerReference,
  V1Service,
} from '@kubernetes/client-node';
import { changeAnnotations } from './update.js';

/** The canary's objects as Slipway writes them, and what it reads back from them (no I/O). */

/** Marks Slipway's canary objects and names the Deployment each one is the canary of. */
export const CANARY_OF = 'slipway.dev/canary-of';
/** On the canary's pods: which track they are on, for dashboards and metric queries. */
export const TRACK = 'slipway.dev/track';
/** On the canary Deployment: the version it runs, and (replica ratio) the weight it was given. */
export const VERSION = 'slipway.dev/version';
export const WEIGHT = 'slipway.dev/canary-weight';
// ingress-nginx's canary annotations (kubernetes.github.io/ingress-nginx/user-guide/
// nginx-configuration/annotations/#canary).
export const NGINX_CANARY = 'nginx.ingress.kubernetes.io/canary';
export const NGINX_WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
export const NGINX_WEIGHT_TOTAL = 'nginx.ingress.kubernetes.io/canary-weight-total';

const MAX_LABEL = 63;

/** The canary of `name` (a Deployment, Service or Ingress) is named `<name>-canary`. */
export function canaryName(name: string): string {
  return `${name}-canary`;
}

// Label values are at most 63 characters, Deployment names up to 253: a long name is cut and
// keeps apart from its neighbours by the hash of the whole name.
function labelValue(text: string): string {
  if (text.length <= MAX_LABEL) return text;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  return `${text.slice(0, MAX_LABEL - hash.length - 1).replace(/[-_.]+$/, '')}-${hash}`;
}

/** Selects the canary pods of Deployment `primary`, and nothing else: only Slipway sets these. */
export function canarySelector(primary: string): Record<string, string> {
  return { [CANARY_OF]: labelValue(primary), [TRACK]: 'canary' };
}

/** The object is a canary Slipway made for Deployment `primary` (never delete another's). */
export function isCanaryOf(metadata: V1ObjectMeta | undefined, primary: string): boolean {
  return metadata?.labels?.[CANARY_OF] === labelValue(primary);
}

/** Canary objects go with the primary Deployment when it is deleted. */
function ownedBy(primary: V1Deployment): V1OwnerReference[] {
  const { name, uid } = primary.metadata ?? {};
  return name && uid ? [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid }] : [];
}

function canaryMetadata(primary: V1Deployment, name: string): V1ObjectMeta {
  const of = primary.metadata?.name ?? '';
  return {
    name,
    labels: { 'app.kubernetes.io/managed-by': 'slipway', ...canarySelector(of) },
    ownerReferences: ownedBy(primary),
  };
}

/** The version a canary runs and who asked for it. */
export interface CanaryRelease {
  version: string;
  /** The full image reference, `<repository>:<version>`. */
  image: string;
  deploymentId: string;
  requestedBy: string;
}

export interface CanaryDeploymentSpec {
  primary: V1Deployment;
  /** The containers that take the new image (as in update mode). */
  containers: string[];
  release: CanaryRelease;
  replicas: number;
  /**
   * The selector of the Service in front of the primary: the canary's pods take other values
   * for those labels (`app: web` → `app: web-canary`), so that Service leaves them out and only
   * the router sends them traffic. Empty for the replica ratio, where that Service must select them.
   */
  hideFrom: Record<string, string>;
  /** The replica ratio's weight, recorded because the pod count cannot say it exactly. */
  weight: number | null;
}

function hiddenValue(value: string): string {
  return value === '' ? 'canary' : `${value.slice(0, MAX_LABEL - 7)}-canary`;
}

/** `<primary>-canary`: the primary's pod template with the new image, selected by Slipway's labels. */
export function canaryDeployment(spec: CanaryDeploymentSpec): V1Deployment {
  const { primary, release } = spec;
  const name = primary.metadata?.name ?? '';
  const template = structuredClone(primary.spec?.template ?? {});
  const labels = { ...template.metadata?.labels };
  for (const key of Object.keys(spec.hideFrom)) {
    const value = labels[key];
    if (value !== undefined) labels[key] = hiddenValue(value);
  }
  Object.assign(labels, canarySelector(name));
  const containers = (template.spec?.containers ?? []).map((c) =>
    spec.containers.includes(c.name) ? { ...c, image: release.image } : c,
  );
  const metadata = canaryMetadata(primary, canaryName(name));
  metadata.annotations = {
    ...changeAnnotations(
      `slipway: canary ${release.version} by ${release.requestedBy} (${release.deploymentId})`,
      release.deploymentId,
      release.requestedBy,
    ),
    [VERSION]: release.version,
    ...(spec.weight === null ? {} : { [WEIGHT]: String(spec.weight) }),
  };
  const pacing = primary.spec ?? { selector: {}, template: {} };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: canarySelector(name) },
      // The canary is replaced with each release: its history is never rolled back to.
      revisionHistoryLimit: 1,
      ...(pacing.strategy ? { strategy: pacing.strategy } : {}),
      ...(pacing.minReadySeconds ? { minReadySeconds: pacing.minReadySeconds } : {}),
      ...(pacing.progressDeadlineSeconds
        ? { progressDeadlineSeconds: pacing.progressDeadlineSeconds }
        : {}),
      template: {
        ...template,
        metadata: { ...template.metadata, labels },
        spec: { ...template.spec, containers },
      },
    },
  };
}

/** `<service>-canary`: the primary Service's ports, in front of the canary's pods only. */
export function canaryService(primary: V1Deployment, service: V1Service): V1Service {
  const name = service.metadata?.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: canaryMetadata(primary, canaryName(name)),
    spec: {
      type: 'ClusterIP',
      selector: canarySelector(primary.metadata?.name ?? ''),
      ports: (service.spec?.ports ?? []).map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        port: p.port,
        ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
        ...(p.protocol ? { protocol: p.protocol } : {}),
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
    },
  };
}

/**
 * `<ingress>-canary` for ingress-nginx: the primary Ingress's hosts and paths that lead to
 * `service`, leading to its canary instead, with the canary weight. ingress-nginx takes every
 * other setting from the primary Ingress, so none is copied. Null when no path leads to `service`.
 */
export function canaryIngress(
  primary: V1Deployment,
  ingress: V1Ingress,
  service: string,
  weight: number,
): V1Ingress | null {
  const toCanary = (backend: V1IngressBackend | undefined): V1IngressBackend | null =>
    backend?.service?.name === service
      ? { service: { ...backend.service, name: canaryName(service) } }
      : null;
  const rules = (ingress.spec?.rules ?? []).flatMap((rule) => {
    const paths = (rule.http?.paths ?? []).flatMap((path) => {
      const backend = toCanary(path.backend);
      return backend ? [{ ...path, backend }] : [];
    });
    return paths.length > 0 ? [{ ...(rule.host ? { host: rule.host } : {}), http: { paths } }] : [];
  });
  const defaultBackend = toCanary(ingress.spec?.defaultBackend);
  if (rules.length === 0 && !defaultBackend) return null;
  const metadata = canaryMetadata(primary, canaryName(ingress.metadata?.name ?? ''));
  metadata.annotations = { [NGINX_CANARY]: 'true', [NGINX_WEIGHT]: String(weight) };
  const spec = ingress.spec ?? {};
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata,
    spec: {
      ...(spec.ingressClassName ? { ingressClassName: spec.ingressClassName } : {}),
      ...(spec.tls ? { tls: spec.tls } : {}),
      ...(defaultBackend ? { defaultBackend } : {}),
      ...(rules.length > 0 ? { rules } : {}),
    },
  };
}

/** The percent of traffic a canary Ingress takes, as ingress-nginx reads its annotations. */
export function ingressWeight(ingress: V1Ingress | null): number {
  const annotations = ingress?.metadata?.annotations ?? {};
  if (annotations[NGINX_CANARY] !== 'true') return 0;
  const weight = Number(annotations[NGINX_WEIGHT] ?? 0);
  const total = Number(annotations[NGINX_WEIGHT_TOTAL] ?? 100);
  if (!Number.isFinite(weight) || !(total > 0)) return 0;
  return Math.min(100, Math.max(0, Math.round((weight / total) * 100)));
}

/** The replica ratio: the canary's pod count for `weight` percent, beside `total` primary pods. */
export function canaryReplicas(total: number, weight: number): number {
  return Math.ceil((total * weight) / 100);
}
