import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';

/**
 * Options of the `github-actions` driver (README.md in this folder is the user-facing
 * reference), and the shapes of what GitHub sends back: REST responses and `workflow_run`
 * webhooks (docs.github.com/rest/actions/workflow-runs, docs.github.com/webhooks).
 */

/**
 * Inputs one workflow_dispatch event may carry: "The maximum number of properties is 25"
 * (REST "Create a workflow dispatch event", in the API description @octokit/openapi-types
 * ships; it was 10 before late 2025).
 */
export const MAX_DISPATCH_INPUTS = 25;

const Duration = z.string().refine((text) => parseDuration(text) !== null, {
  message: 'write a duration like "30s", "10m" or "1h"',
});

// github.com/<owner>: letters, digits and single hyphens, at most 39 characters.
const Owner = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/,
    'write the user or organisation as in github.com/<owner>/<repo>',
  );
const Repo = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, 'write the repository name as in github.com/<owner>/<repo>')
  .refine((name) => name !== '.' && name !== '..', { message: 'not a repository name' });

/**
 * What the REST API takes as `workflow_id`: the file name under .github/workflows or the numeric
 * id. A path as written in the repository (`.github/workflows/deploy.yml`) is shortened to it.
 */
const Workflow = z.union([
  z
    .number()
    .int()
    .positive()
    .transform((id) => String(id)),
  z
    .string()
    .transform((text) => text.trim().replace(/^\.?\/?\.github\/workflows\//, ''))
    .pipe(
      z
        .string()
        .regex(
          /^(\d+|[^/\\\s]+\.ya?ml)$/,
          'name the workflow file under .github/workflows (e.g. "deploy.yml") or give its numeric id',
        ),
    ),
]);

/** Workflow input ids: "must start with a letter or _ and contain only alphanumeric characters, -, or _". */
const InputName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_-]*$/,
    'input names start with a letter or "_" and hold letters, digits, "-" and "_"',
  );

export const optionsSchema = z
  .object({
    owner: Owner.describe('Owner (user or organisation) of the repository holding the workflow.'),
    repo: Repo.describe('Repository holding the workflow.'),
    workflow: Workflow.describe(
      'The deploy workflow: its file name under .github/workflows (deploy.yml) or its numeric id.',
    ),
    ref: z
      .string()
      .min(1)
      .default('main')
      .describe('Branch or tag the workflow runs on (its workflow file is read from there).'),
    // Keys are checked in superRefine: a record's key schema reports only "Invalid key".
    inputs: z
      .record(z.string(), z.string())
      .default({})
      .describe('Extra inputs sent with every dispatch, as strings.'),
    versionInput: InputName.default('version').describe(
      'Input that receives the version to deploy.',
    ),
    environmentInput: InputName.default('environment').describe(
      'Input that receives the environment name.',
    ),
    correlationIdInput: InputName.default('correlation_id').describe(
      "Input that receives the deployment's correlation id; the workflow's run-name must show it.",
    ),
    timeout: Duration.default('30m').describe(
      'A run not finished after this long is cancelled and the deployment fails.',
    ),
    pollInterval: Duration.default('30s').describe(
      'How often the run is read when no workflow_run webhook arrives.',
    ),
    startTimeout: Duration.default('2m').describe(
      'A dispatch whose run has not appeared after this long fails without changing anything.',
    ),
    rollbackWorkflow: Workflow.optional().describe(
      'Workflow dispatched to roll back; default: the deploy workflow with the older version.',
    ),
  })
  .strict()
  .superRefine((options, ctx) => {
    const own = [options.versionInput, options.environmentInput, options.correlationIdInput];
    if (new Set(own).size !== own.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['correlationIdInput'],
        message:
          'versionInput, environmentInput and correlationIdInput must name three different inputs',
      });
    }
    for (const name of Object.keys(options.inputs)) {
      if (!InputName.safeParse(name).success) {
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', name],
          message: `"${name}" is not an input name: input names start with a letter or "_" and hold letters, digits, "-" and "_"`,
        });
      }
      if (own.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', name],
          message: `"${name}" is set by Slipway for every deployment; remove it from inputs`,
        });
      }
    }
    const total = new Set([...own, ...Object.keys(options.inputs)]).size;
    if (total > MAX_DISPATCH_INPUTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['inputs'],
        message: `a workflow_dispatch event carries at most ${MAX_DISPATCH_INPUTS} inputs and Slipway sends 3 of its own: keep at most ${MAX_DISPATCH_INPUTS - 3} here`,
      });
    }
  });
export type GitHubActionsOptions = z.infer<typeof optionsSchema>;

/** Milliseconds of a duration the schema already accepted. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new Error(`"${text}" is not a duration`);
  return ms;
}

/**
 * A workflow run as the REST API and `workflow_run` webhooks carry it; only the fields Slipway
 * reads. `display_title` is the run-name (absent on older GitHub Enterprise Server).
 */
export const WorkflowRun = z.object({
  id: z.number().int(),
  name: z.string().nullish(),
  display_title: z.string().nullish(),
  run_number: z.number().int().optional(),
  run_attempt: z.number().int().optional(),
  event: z.string(),
  head_branch: z.string().nullish(),
  // requested, queued, in_progress, waiting, pending, completed… left open: GitHub adds some.
  status: z.string().nullish(),
  conclusion: z.string().nullish(),
  html_url: z.string(),
  created_at: z.string(),
  path: z.string().optional(),
});
export type WorkflowRun = z.infer<typeof WorkflowRun>;

/**
 * 200 answer of `POST …/workflows/{workflow_id}/dispatches` with `return_run_details: true`:
 * schema `workflow-dispatch-response` of the API description (@octokit/openapi,
 * generated/api.github.com.json), all three properties required.
 */
export const WorkflowDispatchRun = z.object({
  workflow_run_id: z.number().int().positive(),
  run_url: z.string(),
  html_url: z.string(),
});

/** `GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs` */
export const WorkflowRunList = z.object({
  total_count: z.number().int(),
  workflow_runs: z.array(WorkflowRun),
});

const Step = z.object({
  name: z.string(),
  status: z.string().nullish(),
  conclusion: z.string().nullish(),
  number: z.number().int().optional(),
});

export const Job = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.string().nullish(),
  conclusion: z.string().nullish(),
  html_url: z.string().nullish(),
  steps: z.array(Step).optional(),
});
export type Job = z.infer<typeof Job>;

/** `GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs` */
export const JobList = z.object({
  total_count: z.number().int(),
  jobs: z.array(Job),
});

/** Body of a `workflow_run` webhook (X-GitHub-Event: workflow_run). */
export const WorkflowRunEvent = z.object({
  action: z.string(),
  workflow_run: WorkflowRun,
  repository: z.object({ full_name: z.string() }),
});
export type WorkflowRunEvent = z.infer<typeof WorkflowRunEvent>;
