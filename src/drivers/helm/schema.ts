import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';
import { clusterAccess } from '../kubernetes/schema.js';

/** Options of the `helm` driver (README.md in this folder is the user-facing reference). */

const Duration = z.string().refine((text) => parseDuration(text) !== null, {
  message: 'write a duration like "30s", "10m" or "1h"',
});

// RFC 1123 label / subdomain, as Kubernetes validates namespace and object names.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The placeholders a release name may use; anything else in braces is a config error. */
export const RELEASE_PLACEHOLDERS = ['service', 'environment'] as const;

// What helm itself accepts as a release name (ValidateReleaseName, pkg/chart/v2/util/
// validate_name.go): a DNS subdomain of at most 53 characters.
export const RELEASE_NAME = DNS_SUBDOMAIN;
export const RELEASE_NAME_MAX = 53;

/** A dotted path into the chart's values: `image.tag`, `web.image.tag`. */
export const VALUE_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

const ReleaseTemplate = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const unknown = [...text.matchAll(/\{([^}]*)\}/g)]
      .map(([, name]) => name ?? '')
      .filter((name) => !(RELEASE_PLACEHOLDERS as readonly string[]).includes(name));
    for (const name of unknown) {
      ctx.addIssue({
        code: 'custom',
        message: `{${name}} is not a placeholder here: use {service} or {environment}`,
      });
    }
    if (unknown.length > 0) return;
    const sample = text.replaceAll('{service}', 'a').replaceAll('{environment}', 'a');
    if (!RELEASE_NAME.test(sample)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'a release name is lowercase letters, digits, "-" and "." (helm refuses anything else)',
      });
    }
  });

const SetValue = z.union([z.string(), z.number(), z.boolean()]);

export const optionsSchema = z
  .object({
    chart: z
      .string()
      .min(1)
      .describe(
        'The chart: a directory or .tgz (relative to where Slipway starts), repo/chart, or oci://registry/chart.',
      ),
    chartVersion: z
      .string()
      .min(1)
      .optional()
      .describe('Chart version (helm --version); default: the newest the repository has.'),
    repo: z
      .string()
      .url()
      .optional()
      .describe('Chart repository URL (helm --repo), when the chart is named without one.'),
    release: ReleaseTemplate.default('{service}').describe(
      'Release name; {service} and {environment} are replaced. Default: {service}.',
    ),
    namespace: z
      .string()
      .regex(DNS_LABEL, 'use lowercase letters, digits and "-" (at most 63)')
      .describe('Namespace of the release.'),
    values: z
      .array(z.string().min(1))
      .default([])
      .describe('Values files (helm -f), in order, relative to where Slipway starts.'),
    set: z
      .record(z.string().regex(/^[^=,]+$/, 'a value path has no "=" or ","'), SetValue)
      .default({})
      .describe(
        'Values set on every deploy (helm --set for numbers and booleans, --set-string for text).',
      ),
    versionValue: z
      .string()
      .regex(VALUE_PATH, 'a dotted path into the values, like image.tag')
      .default('image.tag')
      .describe('The value that takes the version being deployed. Default: image.tag.'),
    deployments: z
      .array(z.string().max(253).regex(DNS_SUBDOMAIN, 'a Deployment name'))
      .min(1)
      .optional()
      .describe(
        'Deployments whose rollout is followed; default: those labelled app.kubernetes.io/instance=<release>.',
      ),
    timeout: Duration.default('10m').describe(
      'A rollout not complete after this long fails (and is rolled back); also helm --timeout for hooks.',
    ),
    ...clusterAccess,
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.inCluster && (options.kubeconfig || options.context)) {
      ctx.addIssue({
        code: 'custom',
        path: ['inCluster'],
        message: 'inCluster uses the service account; remove kubeconfig and context, or inCluster',
      });
    }
    if (options.versionValue in options.set) {
      ctx.addIssue({
        code: 'custom',
        path: ['set', options.versionValue],
        message: `${options.versionValue} takes the version being deployed: remove it from set, or name another versionValue`,
      });
    }
  });
export type HelmOptions = z.infer<typeof optionsSchema>;

export function durationMs(text: string): number {
  return parseDuration(text) ?? 0;
}
