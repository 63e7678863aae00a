import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';
import { PLACEHOLDERS, unknownPlaceholders } from '../command/placeholders.js';

/**
 * Options of the `jenkins` driver (README.md in this folder is the user-facing reference), and
 * the shapes of what Jenkins' remote access API answers (www.jenkins.io/doc/book/using/remote-
 * access-api; the fields are those core exports with @Exported on Queue.Item, Queue.LeftItem and
 * Run).
 */

const Duration = z.string().refine((text) => parseDuration(text) !== null, {
  message: 'write a duration like "5s", "10m" or "1h"',
});

const ServerUrl = z
  .string()
  .trim()
  .refine(
    (text) => {
      try {
        const url = new URL(text);
        return (
          (url.protocol === 'http:' || url.protocol === 'https:') &&
          !url.username &&
          !url.password &&
          !url.search &&
          !url.hash
        );
      } catch {
        return false;
      }
    },
    {
      message:
        'write the address Jenkins is served at, like https://ci.example.com or https://example.com/jenkins (no user, token or query: credentials come from JENKINS_USER and JENKINS_TOKEN)',
    },
  )
  .transform((text) => text.replace(/\/+$/, ''));

/**
 * A job's full name as Jenkins shows it, folders separated by "/" (`team/deploy-web`). Its URL
 * path (`job/team/job/deploy-web`), as copied from a browser, is read as the same job.
 */
export const JobName = z
  .string()
  .trim()
  .transform((text) => fromUrlPath(text.replace(/^\/+|\/+$/g, '')))
  .pipe(
    z
      .string()
      .min(1, 'name the Jenkins job')
      .refine(
        (name) => name.split('/').every((part) => part !== '' && part !== '.' && part !== '..'),
        {
          message:
            'write the job\'s full name as Jenkins shows it, folders separated by "/" (team/deploy-web)',
        },
      ),
  );

function fromUrlPath(text: string): string {
  const parts = text.split('/');
  const isUrlPath =
    parts.length % 2 === 0 && parts.every((part, i) => i % 2 === 1 || part === 'job');
  return isUrlPath ? parts.filter((_, i) => i % 2 === 1).join('/') : text;
}

/** Names Slipway reads `<PREFIX>_USER` and `<PREFIX>_TOKEN` from. */
const CredentialsPrefix = z
  .string()
  .regex(
    /^[A-Z][A-Z0-9_]*$/,
    'name an environment variable prefix in capitals, like JENKINS or JENKINS_PROD',
  );

const Parameters = z.record(z.string().min(1), z.string());

export const DEFAULT_PARAMETERS = {
  VERSION: '{version}',
  ENVIRONMENT: '{environment}',
  SLIPWAY_DEPLOYMENT_ID: '{deploymentId}',
} as const;

export const optionsSchema = z
  .object({
    url: ServerUrl.describe('Where Jenkins is served, e.g. https://ci.example.com.'),
    job: JobName.describe(
      'Full name of the job that deploys, folders separated by "/" (team/deploy-web).',
    ),
    parameters: Parameters.default({ ...DEFAULT_PARAMETERS }).describe(
      'Build parameters sent to buildWithParameters; values may use {service} {version} {environment} {deploymentId} and the other placeholders.',
    ),
    rollbackJob: JobName.optional().describe(
      'Job built to roll back; default: the deploy job with the older version.',
    ),
    rollbackParameters: Parameters.optional().describe(
      'Parameters of rollback builds; default: those of deploys.',
    ),
    // Named *Env: the key names where the secret is, and slipway.yaml refuses keys named like secrets.
    credentialsEnv: CredentialsPrefix.default('JENKINS').describe(
      'Environment variables holding the user and API token: <prefix>_USER and <prefix>_TOKEN (or <prefix>_TOKEN_FILE).',
    ),
    timeout: Duration.default('30m').describe(
      'A build not finished this long after it was asked for is stopped, and the deployment fails.',
    ),
    pollInterval: Duration.default('5s').describe(
      'How often the queue item, the build and its console are read.',
    ),
  })
  .strict()
  .superRefine((options, ctx) => {
    for (const key of ['parameters', 'rollbackParameters'] as const) {
      for (const [name, value] of Object.entries(options[key] ?? {})) {
        for (const unknown of unknownPlaceholders(value)) {
          ctx.addIssue({
            code: 'custom',
            path: [key, name],
            message: `unknown placeholder {${unknown}}: use one of ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
          });
        }
      }
    }
  });
export type JenkinsOptions = z.infer<typeof optionsSchema>;

/** Milliseconds of a duration the schema already accepted. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new Error(`"${text}" is not a duration`);
  return ms;
}

/** `GET /crumbIssuer/api/json` (404 when CSRF protection is off). */
export const Crumb = z.object({
  crumb: z.string().min(1),
  crumbRequestField: z.string().min(1),
});
export type Crumb = z.infer<typeof Crumb>;

/**
 * `GET /queue/item/{id}/api/json`: a waiting, blocked or buildable item says `why`; once it left
 * the queue (a LeftItem, kept about five minutes) it says `cancelled` and, when it started a
 * build, `executable` (null for a moment while the executor starts it).
 */
export const QueueItem = z.object({
  _class: z.string().optional(),
  id: z.number().int(),
  why: z.string().nullish(),
  blocked: z.boolean().optional(),
  buildable: z.boolean().optional(),
  stuck: z.boolean().optional(),
  cancelled: z.boolean().optional(),
  executable: z.object({ number: z.number().int(), url: z.string().optional() }).nullish(),
});
export type QueueItem = z.infer<typeof QueueItem>;

/** The fields of `GET /job/{name}/{number}/api/json` the driver reads. */
export const Build = z.object({
  number: z.number().int(),
  url: z.string(),
  building: z.boolean(),
  // SUCCESS, UNSTABLE, FAILURE, NOT_BUILT, ABORTED; null while it runs.
  result: z.string().nullable(),
  duration: z.number().optional(),
  timestamp: z.number().optional(),
  queueId: z.number().int().optional(),
});
export type Build = z.infer<typeof Build>;

/** The tree the driver asks of a build: no actions, artifacts or change sets. */
export const BUILD_TREE = 'number,url,building,result,duration,timestamp,queueId';

const ParameterValue = z.object({ name: z.string(), value: z.unknown().optional() });

/** `GET /job/{name}/api/json?tree=builds[…]`: recent builds, newest first. */
export const JobBuilds = z.object({
  builds: z
    .array(
      z.object({
        number: z.number().int(),
        url: z.string(),
        queueId: z.number().int().optional(),
        timestamp: z.number().optional(),
        actions: z
          .array(
            z
              .object({ parameters: z.array(ParameterValue).optional() })
              .passthrough()
              .nullable(),
          )
          .optional(),
      }),
    )
    .default([]),
});
export type JobBuilds = z.infer<typeof JobBuilds>;
export type ListedBuild = JobBuilds['builds'][number];

/** How many recent builds are searched for one Slipway started (by queue id or parameters). */
export const RECENT_BUILDS = 50;
export const JOB_BUILDS_TREE = `builds[number,url,queueId,timestamp,actions[parameters[name,value]]]{0,${RECENT_BUILDS}}`;
