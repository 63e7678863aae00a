import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';

/** Options of the `kubernetes` driver (README.md in this folder is the user-facing reference). */

const Duration = z.string().refine((text) => parseDuration(text) !== null, {
  message: 'write a duration like "30s", "10m" or "1h"',
});

// RFC 1123 label / subdomain, as Kubernetes validates object and namespace names.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const Label = z.string().regex(DNS_LABEL, 'use lowercase letters, digits and "-" (at most 63)');
const Subdomain = z
  .string()
  .max(253)
  .regex(DNS_SUBDOMAIN, 'use lowercase letters, digits, "-" and "."');

/** One Deployment whose containers get the new image. */
const Target = z
  .object({
    name: Subdomain.describe('Deployment name.'),
    containers: z
      .array(Label)
      .min(1)
      .optional()
      .describe('Containers whose image is set; default: the container named like the service.'),
  })
  .strict();

const Quantity = z.union([z.string().min(1), z.number()]);
const Resources = z
  .object({
    requests: z.record(z.string(), Quantity).optional(),
    limits: z.record(z.string(), Quantity).optional(),
  })
  .strict();

/** How previews are built: one Deployment, Service and Ingress per service/ref. */
export const PreviewOptions = z
  .object({
    baseDomain: Subdomain.describe(
      'Previews are reachable at <target>.<type>.<baseDomain>, e.g. fix-login.branch.preview.example.com.',
    ),
    port: z.number().int().min(1).max(65535).describe('Port the container listens on.'),
    servicePort: z.number().int().min(1).max(65535).default(80),
    replicas: z.number().int().min(0).max(50).default(1),
    resources: Resources.optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    ttl: Duration.default('72h').describe('A preview not redeployed for this long is torn down.'),
    ingressClassName: Label.optional(),
    tlsSecret: Subdomain.optional().describe(
      'TLS secret for the Ingress (a wildcard certificate for *.<type>.<baseDomain>); URLs are https when set.',
    ),
  })
  .strict();
export type PreviewOptions = z.infer<typeof PreviewOptions>;

/** How a canary's share of the traffic is set: by a router, or by its share of the pods. */
export const CanaryOptions = z
  .object({
    router: z
      .enum(['gateway-api', 'ingress-nginx', 'replicas'])
      .describe(
        'gateway-api: weights of an HTTPRoute; ingress-nginx: a canary Ingress; replicas: canary pods beside the live ones behind the same Service (approximate).',
      ),
    httpRoute: Subdomain.optional().describe(
      'gateway-api: the HTTPRoute that sends traffic to the service.',
    ),
    ingress: Subdomain.optional().describe(
      'ingress-nginx: the Ingress that sends traffic to the service.',
    ),
    service: Label.optional().describe(
      "gateway-api and ingress-nginx: the Service in front of the Deployment; default: the Deployment's name.",
    ),
  })
  .strict()
  .superRefine((canary, ctx) => {
    const needs = { 'gateway-api': 'httpRoute', 'ingress-nginx': 'ingress' } as const;
    const what = { httpRoute: 'HTTPRoute', ingress: 'Ingress' } as const;
    for (const [router, field] of Object.entries(needs)) {
      if (canary.router === router && !canary[field]) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `the ${router} router needs ${field}: the name of the ${what[field]} that sends traffic to the service`,
        });
      }
      if (canary.router !== router && canary[field]) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} is read by the ${router} router only: remove it, or set router: ${router}`,
        });
      }
    }
    if (canary.router === 'replicas' && canary.service) {
      ctx.addIssue({
        code: 'custom',
        path: ['service'],
        message:
          "the replicas router puts the canary's pods behind the Deployment's own Service and creates none: remove service",
      });
    }
  });
export type CanaryOptions = z.infer<typeof CanaryOptions>;

/** How a driver reaches a cluster: the options every driver that talks to Kubernetes takes. */
export const clusterAccess = {
  kubeconfig: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Path of a kubeconfig file; default: $KUBECONFIG, else in-cluster, else ~/.kube/config.',
    ),
  context: z
    .string()
    .min(1)
    .optional()
    .describe('Context in the kubeconfig; default: its current one.'),
  inCluster: z
    .boolean()
    .optional()
    .describe(
      "Use the pod's service account (default when running in a cluster without $KUBECONFIG).",
    ),
};

export const optionsSchema = z
  .object({
    ...clusterAccess,
    namespace: Label.describe('Namespace of the Deployments (and of the previews).'),
    mode: z.enum(['update', 'preview']).default('update'),
    deployments: z
      .array(z.union([Subdomain.transform((name) => ({ name })), Target]))
      .min(1)
      .optional()
      .describe(
        'Update mode: the Deployments to change (names, or {name, containers}); default: the one named like the service. Ignored in preview mode, which names its own.',
      ),
    timeout: Duration.default('10m').describe(
      "A rollout not complete after this long fails (and is rolled back); Kubernetes' own progress deadline fails it sooner when shorter.",
    ),
    preview: PreviewOptions.optional(),
    canary: CanaryOptions.optional().describe(
      'Canary releases: a <deployment>-canary beside the Deployment, and how traffic is split between them.',
    ),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.mode === 'preview' && !options.preview) {
      ctx.addIssue({
        code: 'custom',
        path: ['preview'],
        message: 'preview mode needs preview settings: at least baseDomain and port',
      });
    }
    if (options.canary && options.mode === 'preview') {
      ctx.addIssue({
        code: 'custom',
        path: ['canary'],
        message:
          'a canary runs beside a live Deployment, which preview mode does not update: remove canary, or use mode: update',
      });
    }
    if (options.canary && (options.deployments?.length ?? 1) > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['canary'],
        message:
          'a canary runs beside one Deployment: list only one in deployments, or give the others their own service',
      });
    }
    if (options.inCluster && (options.kubeconfig || options.context)) {
      ctx.addIssue({
        code: 'custom',
        path: ['inCluster'],
        message: 'inCluster uses the service account; remove kubeconfig and context, or inCluster',
      });
    }
  });
export type KubernetesOptions = z.infer<typeof optionsSchema>;

export function durationMs(text: string): number {
  return parseDuration(text) ?? 0;
}
