import type { Answer } from './github-double-deployments.js';
import type { ActionsState, DoubleWorkflow, RunPlan } from './github-double-runs.js';

/**
 * What the server does with `return_run_details` on `POST …/workflows/{id}/dispatches`:
 * - `returned`: github.com and GHEC since 2026-02-19
 *   (github.blog/changelog/2026-02-19-workflow-dispatch-api-now-returns-run-ids): `true` gets
 *   200 with the run's id and URLs (schema `workflow-dispatch-response` in @octokit/openapi's
 *   api.github.com.json), anything else 204.
 * - `ignored`: a server that answers 204 whatever is asked.
 * - `rejected`: GitHub Enterprise Server without the field (absent from ghes-3.17/3.18/3.19.json):
 *   422 `"return_run_details" is not a permitted key.`, as GHES 3.19 was reported answering
 *   (github.com/benc-uk/workflow-dispatch/issues/86).
 */
export type RunDetailsMode = 'returned' | 'ignored' | 'rejected';

export interface DispatchDeps {
  branches: readonly string[];
  runDetails: RunDetailsMode;
  /** The next dispatch's plan (the default when none is queued). */
  nextPlan(): RunPlan;
  actions: ActionsState;
}

const DOCS = 'https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event';
const MAX_INPUTS = 25;

function refusal(status: number, message: string): Answer {
  return { status, body: { message, documentation_url: DOCS, status: String(status) } };
}

/** `POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches`, refused as GitHub does. */
export function dispatchWorkflow(
  rawBody: unknown,
  workflow: DoubleWorkflow,
  deps: DispatchDeps,
): Answer {
  if (rawBody === undefined) return refusal(400, 'Problems parsing JSON');
  const body = rawBody as Record<string, unknown>;
  const bad = badBody(body, deps.runDetails) ?? badInputs(body.inputs);
  if (bad) return refusal(422, bad);
  const ref = String(body.ref).replace(/^refs\/(heads|tags)\//, '');
  if (!deps.branches.includes(ref)) return refusal(422, `No ref found for: ${body.ref}`);
  const values = inputValues(workflow, (body.inputs ?? {}) as Record<string, string>);
  if (typeof values === 'string') return refusal(422, values);
  const plan = deps.nextPlan();
  const details = body.return_run_details === true && deps.runDetails === 'returned';
  if (!details) {
    if (!plan.neverStarts) deps.actions.start(workflow, ref, values, plan);
    return { status: 204 };
  }
  if (plan.neverStarts)
    return refusal(
      500,
      'The GitHub double cannot return details of a run that never starts: start it with runDetails "ignored" or "rejected".',
    );
  const run = deps.actions.startNow(workflow, ref, values, plan);
  // Exactly the three required properties of `workflow-dispatch-response`, nothing more.
  return {
    status: 200,
    body: { workflow_run_id: run.id, run_url: run.url, html_url: run.html_url },
  };
}

/** GitHub checks the body against its schema: known keys only, each of its type. */
function badBody(body: Record<string, unknown>, mode: RunDetailsMode): string | null {
  const permitted = ['ref', 'inputs', ...(mode === 'rejected' ? [] : ['return_run_details'])];
  const unknown = Object.keys(body).find((key) => !permitted.includes(key));
  if (unknown) return `Invalid request.\n\n"${unknown}" is not a permitted key.`;
  if (body.ref === undefined) return 'Invalid request.\n\n"ref" wasn\'t supplied.';
  if (typeof body.ref !== 'string')
    return `Invalid request.\n\nFor 'properties/ref', ${JSON.stringify(body.ref)} is not a string.`;
  const details = body.return_run_details;
  if (details !== undefined && typeof details !== 'boolean')
    return `Invalid request.\n\nFor 'properties/return_run_details', ${JSON.stringify(details)} is not a boolean.`;
  return null;
}

function badInputs(given: unknown): string | null {
  if (given === undefined) return null;
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    return `Invalid request.\n\nFor 'properties/inputs', ${JSON.stringify(given)} is not an object.`;
  if (Object.keys(given).length > MAX_INPUTS)
    return `Invalid request.\n\nFor 'properties/inputs', the maximum number of properties is ${MAX_INPUTS}.`;
  for (const [name, value] of Object.entries(given)) {
    if (typeof value !== 'string')
      return `Invalid request.\n\nFor 'properties/${name}', ${JSON.stringify(value)} is not a string.`;
  }
  return null;
}

/** Every declared input's value (given, or its default); or why GitHub refuses the inputs. */
function inputValues(
  workflow: DoubleWorkflow,
  inputs: Record<string, string>,
): Record<string, string> | string {
  if (!workflow.inputs) return "Workflow does not have 'workflow_dispatch' trigger";
  const declared = workflow.inputs;
  const unexpected = Object.keys(inputs).filter((name) => !(name in declared));
  if (unexpected.length > 0) return `Unexpected inputs provided: ${JSON.stringify(unexpected)}`;
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const value = inputs[name] ?? spec.default;
    if (value === undefined && spec.required) return `Required input '${name}' not provided`;
    values[name] = value ?? '';
  }
  return values;
}
