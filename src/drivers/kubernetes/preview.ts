import { createHash } from 'node:crypto';
import type { V1Deployment, V1Ingress, V1ObjectMeta, V1Service } from '@kubernetes/client-node';
import type { BuildRef } from '../../core/deployment.js';
import { tagOf } from './rollout.js';
import { durationMs, type PreviewOptions } from './schema.js';

export interface PreviewIdentity {
  name: string;
  host: string;
  labels: Record<string, string>;
}

const MAX_LABEL = 63;
/** When a preview may be removed; each deploy of its ref moves it on. */
export const EXPIRES_AT = 'slipway.dev/expires-at';

function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

// `text` as is when it fits and lost nothing of the ref name; else cut to leave room for the
// hash of the full ref name, so refs that read alike ("feat/x", "feat-x") keep apart.
function boundedLabel(text: string, exact: boolean, hash: string): string {
  if (exact && text.length <= MAX_LABEL) return text;
  const head = text.slice(0, MAX_LABEL - hash.length - 1).replace(/-+$/, '');
  return head ? `${head}-${hash}` : hash;
}

/** Object name (Deployment/Service/Ingress share it) and host for a service's build ref. */
export function previewIdentity(
  service: string,
  environment: string,
  ref: BuildRef,
  baseDomain: string,
): PreviewIdentity {
  const slug = slugOf(ref.name);
  const exact = slug !== '' && slug === ref.name;
  const hash = createHash('sha256').update(ref.name).digest('hex').slice(0, 6);
  // Service names are DNS-1035 labels, which start with a letter; Slipway's may start with a digit.
  const prefix = /^[a-z]/.test(service) ? service : `p-${service}`;
  const name = boundedLabel([prefix, ref.type, slug].filter(Boolean).join('-'), exact, hash);
  return {
    name,
    host: `${boundedLabel(slug, exact, hash)}.${ref.type}.${baseDomain}`,
    labels: {
      'app.kubernetes.io/name': service,
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/managed-by': 'slipway',
      'slipway.dev/environment': environment,
      'slipway.dev/ref-type': ref.type,
      'slipway.dev/preview': 'true',
    },
  };
}

export interface PreviewSpec {
  service: string;
  environment: string;
  ref: BuildRef;
  /** Full image reference, with its tag. */
  image: string;
  options: PreviewOptions;
  deploymentId: string;
  requestedBy: string;
  now: Date;
}

export interface PreviewManifests {
  deployment: V1Deployment;
  service: V1Service;
  ingress: V1Ingress;
  url: string;
  name: string;
}

function quantities(values: Record<string, string | number> | undefined) {
  return values && Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
}

/** The Deployment, Service and Ingress of a build's preview, and the URL it is reachable at. */
export function previewManifests(spec: PreviewSpec): PreviewManifests {
  const { service, ref, options } = spec;
  const { name, host, labels } = previewIdentity(
    service,
    spec.environment,
    ref,
    options.baseDomain,
  );
  const version = tagOf(spec.image, null) ?? spec.image;
  const expiresAt = new Date(spec.now.getTime() + durationMs(options.ttl));
  const metadata: V1ObjectMeta = {
    name,
    labels,
    annotations: {
      'slipway.dev/ref': ref.name,
      'slipway.dev/deployment-id': spec.deploymentId,
      'slipway.dev/requested-by': spec.requestedBy,
      [EXPIRES_AT]: expiresAt.toISOString(),
      'kubernetes.io/change-cause': `slipway: ${service} ${version} (${ref.type} ${ref.name}) by ${spec.requestedBy}, deployment ${spec.deploymentId}`,
    },
  };
  const selector = {
    'app.kubernetes.io/name': service,
    'app.kubernetes.io/instance': name,
  };
  const resources = options.resources && {
    requests: quantities(options.resources.requests),
    limits: quantities(options.resources.limits),
  };
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: service,
              image: spec.image,
              ports: [{ name: 'http', containerPort: options.port }],
              env: Object.entries(options.env).map(([key, value]) => ({ name: key, value })),
              ...(resources ? { resources } : {}),
            },
          ],
        },
      },
    },
  };
  const serviceObject: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [
        { name: 'http', port: options.servicePort, targetPort: options.port, protocol: 'TCP' },
      ],
    },
  };
  const backend = { service: { name, port: { number: options.servicePort } } };
  const ingress: V1Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata,
    spec: {
      ...(options.ingressClassName ? { ingressClassName: options.ingressClassName } : {}),
      ...(options.tlsSecret ? { tls: [{ hosts: [host], secretName: options.tlsSecret }] } : {}),
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }],
    },
  };
  const url = `${options.tlsSecret ? 'https' : 'http'}://${host}`;
  return { deployment, service: serviceObject, ingress, url, name };
}
