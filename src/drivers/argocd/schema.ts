import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';

/** Options of the `argocd` driver (README.md in this folder is the user-facing reference). */

const Duration = z.string().refine((text) => parseDuration(text) !== null, {
  message: 'write a duration like "2s", "10m" or "1h"',
});

// Applications are Kubernetes objects: names are RFC 1123 subdomains, namespaces labels.
const Subdomain = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'use lowercase letters, digits, "-" and "."',
  );
const Label = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'use lowercase letters, digits and "-" (at most 63)',
  );

const Kustomize = z
  .object({
    image: z
      .string()
      .min(1)
      .regex(
        /^[^\s=:@]+(:\d+)?(\/[^\s=:@]+)*$/,
        'give the image name without a tag, e.g. registry.example.com/web',
      )
      .optional()
      .describe(
        "Image whose tag is set (kustomize images: name:tag); default: the service's image.",
      ),
  })
  .strict();

const Helm = z
  .object({
    parameter: z
      .string()
      .min(1)
      .describe('Helm parameter that carries the version, e.g. image.tag.'),
    forceString: z
      .boolean()
      .default(true)
      .describe('Pass the version as a string (helm --set-string), so 1.10 stays "1.10".'),
  })
  .strict();

export const optionsSchema = z
  .object({
    application: Subdomain.describe('Name of the Argo CD Application.'),
    appNamespace: Label.optional().describe(
      "Namespace of the Application when Argo CD manages applications in several namespaces; default: Argo CD's own.",
    ),
    project: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Project of the Application. With it Argo CD tells a missing application (404) from a forbidden one (403).',
      ),
    kustomize: Kustomize.optional().describe(
      'Set the version as the tag of an image in spec.source.kustomize.images.',
    ),
    helm: Helm.optional().describe(
      'Set the version as a parameter in spec.source.helm.parameters.',
    ),
    prune: z
      .boolean()
      .default(false)
      .describe('Delete resources no longer in the source when syncing.'),
    timeout: Duration.default('10m').describe(
      'A sync not Synced and Healthy after this long fails (and is rolled back).',
    ),
    pollInterval: Duration.default('2s').describe(
      'How often the application is read when the event stream is not available.',
    ),
    stream: z
      .boolean()
      .default(true)
      .describe("Follow the application through Argo CD's event stream (falls back to polling)."),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.kustomize && options.helm) {
      ctx.addIssue({
        code: 'custom',
        path: ['helm'],
        message:
          'give either kustomize or helm, not both: the version reaches the application one way',
      });
    } else if (!options.kustomize && !options.helm) {
      ctx.addIssue({
        code: 'custom',
        path: ['kustomize'],
        message:
          'say how the version reaches the application: kustomize: {} (sets the image tag) or helm: { parameter: image.tag }',
      });
    }
  });
export type ArgoCdOptions = z.infer<typeof optionsSchema>;

/** Milliseconds of a duration the schema already accepted. */
export function durationMs(text: string): number {
  return parseDuration(text) ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Argo CD's answers (argoproj.io/v1alpha1 Application, as /api/v1 returns it). Objects are loose:
// fields Slipway does not read are kept, so what it writes back (helm parameters) loses nothing.
// Go omits or nulls empty fields, hence nullish throughout.

const HelmParameter = z.looseObject({
  name: z.string(),
  value: z.string().nullish(),
  forceString: z.boolean().nullish(),
});

export const Source = z.looseObject({
  repoURL: z.string().nullish(),
  path: z.string().nullish(),
  chart: z.string().nullish(),
  targetRevision: z.string().nullish(),
  kustomize: z.looseObject({ images: z.array(z.string()).nullish() }).nullish(),
  helm: z.looseObject({ parameters: z.array(HelmParameter).nullish() }).nullish(),
});
export type Source = z.infer<typeof Source>;

const Info = z.object({ name: z.string(), value: z.string() });

export const Operation = z.looseObject({
  sync: z.looseObject({ revision: z.string().nullish(), source: Source.nullish() }).nullish(),
  info: z.array(Info).nullish(),
  initiatedBy: z
    .looseObject({ username: z.string().nullish(), automated: z.boolean().nullish() })
    .nullish(),
});
export type Operation = z.infer<typeof Operation>;

export const OperationState = z.looseObject({
  operation: Operation.nullish(),
  /** Running, Terminating, Failed, Error, Succeeded. */
  phase: z.string(),
  message: z.string().nullish(),
  syncResult: z.looseObject({ revision: z.string().nullish(), source: Source.nullish() }).nullish(),
  startedAt: z.string().nullish(),
  finishedAt: z.string().nullish(),
});
export type OperationState = z.infer<typeof OperationState>;

export const HistoryEntry = z.looseObject({
  // int64 in Go, a JSON number from Argo CD's encoder; coerce in case a proxy stringifies it.
  id: z.coerce.number().int(),
  revision: z.string().nullish(),
  deployedAt: z.string().nullish(),
  deployStartedAt: z.string().nullish(),
  source: Source.nullish(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

const Health = z.looseObject({ status: z.string().nullish(), message: z.string().nullish() });

const ResourceStatus = z.looseObject({
  group: z.string().nullish(),
  kind: z.string().nullish(),
  namespace: z.string().nullish(),
  name: z.string().nullish(),
  status: z.string().nullish(),
  health: Health.nullish(),
});

export const Application = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().nullish(),
    annotations: z.record(z.string(), z.string().nullish()).nullish(),
  }),
  spec: z.looseObject({
    project: z.string().nullish(),
    source: Source.nullish(),
    sources: z.array(Source).nullish(),
    syncPolicy: z
      .looseObject({
        // `enabled` since Argo CD 3.1: false keeps prune/selfHeal but turns automated sync off.
        automated: z.looseObject({ enabled: z.boolean().nullish() }).nullish(),
      })
      .nullish(),
  }),
  operation: Operation.nullish(),
  status: z
    .looseObject({
      sync: z
        .looseObject({
          /** Synced, OutOfSync, Unknown. */
          status: z.string().nullish(),
          revision: z.string().nullish(),
          comparedTo: z.looseObject({ source: Source.nullish() }).nullish(),
        })
        .nullish(),
      /** Healthy, Progressing, Degraded, Suspended, Missing, Unknown. */
      health: Health.nullish(),
      history: z.array(HistoryEntry).nullish(),
      operationState: OperationState.nullish(),
      reconciledAt: z.string().nullish(),
      resources: z.array(ResourceStatus).nullish(),
      summary: z.looseObject({ images: z.array(z.string()).nullish() }).nullish(),
    })
    .nullish(),
});
export type Application = z.infer<typeof Application>;

/** One message of /api/v1/stream/applications: an ApplicationWatchEvent, or the stream's error. */
export const StreamMessage = z.object({
  result: z.object({ type: z.string(), application: Application }).optional(),
  error: z
    .looseObject({ message: z.string().nullish(), http_code: z.number().nullish() })
    .optional(),
});

/** grpc-gateway's error body: {"error": "...", "code": 9, "message": "..."}. */
export const ErrorBody = z.looseObject({
  error: z.string().nullish(),
  message: z.string().nullish(),
  code: z.number().nullish(),
});
