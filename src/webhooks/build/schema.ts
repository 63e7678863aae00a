import { z } from 'zod';

/**
 * What CI sends to `POST /hooks/build`, as JSON or form fields (seeds/001: `project`, `image`,
 * `type`, `target`). Fields Slipway does not know are ignored, so a pipeline can send more.
 * Empty values were dropped before this schema (see body.ts): an unset CI variable reads as
 * "not given", not as an empty name.
 */

function text(field: string, max: number, what: string) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined ? `${field} is missing: ${what}` : `${field} must be text`,
    })
    .trim()
    .min(1, `${field} is empty: ${what}`)
    .max(max, `${field} is longer than ${max} characters`);
}

const SERVICE = 'the service name from slipway.yaml';
const IMAGE = 'the image the build pushed, e.g. registry.example.com/web:3f2a9c1';

export const BuildPayload = z
  .object({
    service: text('service', 200, SERVICE).optional(),
    /** The name seeds/001 used for the service. */
    project: text('project', 200, SERVICE).optional(),
    image: text('image', 512, IMAGE).optional(),
    /** Instead of the image's tag, or in agreement with it. */
    version: text('version', 512, 'the version (image tag) to deploy').optional(),
    type: z.enum(['branch', 'tag'], {
      error: (issue) =>
        issue.input === undefined
          ? 'type is missing: say "branch" or "tag"'
          : `type is ${JSON.stringify(issue.input)}: say "branch" or "tag"`,
    }),
    target: text('target', 512, 'the branch or tag name the build came from'),
    commit: z
      .string({ error: 'commit must be text' })
      .trim()
      .regex(/^[0-9a-fA-F]{7,64}$/, 'commit must be a git commit hash (7 to 64 hex digits)')
      .optional(),
    url: z
      .url({ protocol: /^https?$/, error: 'url must be an http(s) link to the CI run' })
      .max(2048, 'url is longer than 2048 characters')
      .optional(),
    timestamp: z
      .union([z.number(), z.string()], {
        error: 'timestamp must be unix seconds or an ISO 8601 time',
      })
      .optional(),
    /** When the commit was made (`git log -1 --format=%ct`): lead time for changes starts here. */
    committedAt: z
      .union([z.number(), z.string()], {
        error: 'committedAt must be unix seconds or an ISO 8601 time',
      })
      .optional(),
  })
  .superRefine(
    (build, ctx) => {
      if (build.service === undefined && build.project === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['service'],
          message: `service is missing: ${SERVICE}`,
        });
      }
      const { service, project } = build;
      if (typeof service === 'string' && typeof project === 'string' && service !== project) {
        ctx.addIssue({
          code: 'custom',
          path: ['project'],
          message: `service "${service}" and project "${project}" disagree: send one of them`,
        });
      }
      if (build.image === undefined && build.version === undefined) {
        ctx.addIssue({ code: 'custom', path: ['image'], message: `image is missing: ${IMAGE}` });
      }
    },
    // Report every problem at once, not the cross-field ones only after the rest is fixed.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );
export type BuildPayload = z.infer<typeof BuildPayload>;
