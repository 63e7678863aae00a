import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  Job,
  JobList,
  WorkflowDispatchRun,
  WorkflowRun,
  WorkflowRunList,
} from '../../src/drivers/github-actions/schema.js';
import {
  CreatedDeployment,
  InstallationToken,
  ListedDeployment,
  ListedStatus,
} from '../../src/integrations/github-deployments/schema.js';

/**
 * The other half of holding the GitHub double to GitHub's description (github-double.md): the
 * double's answers pass the description, and Slipway's own zod schemas of GitHub's answers must
 * take what the description gives as GitHub's examples, or Slipway would refuse a real answer
 * the double never gives.
 */

const file = createRequire(import.meta.url).resolve(
  '@octokit/openapi/generated/api.github.com.json',
);
const examples = (
  JSON.parse(readFileSync(file, 'utf8')) as {
    components: { examples: Record<string, { value: unknown }> };
  }
).components.examples;

function example(name: string): unknown {
  const found = examples[name];
  if (!found) throw new Error(`no example "${name}" in the description`);
  return found.value;
}

const cases: [string, string, z.ZodType][] = [
  ['WorkflowRun', 'workflow-run', WorkflowRun],
  ['WorkflowRunList', 'workflow-run-paginated', WorkflowRunList],
  ['Job', 'job', Job],
  ['JobList', 'job-paginated', JobList],
  ['WorkflowDispatchRun', 'workflow-dispatch-response', WorkflowDispatchRun],
  ['CreatedDeployment', 'deployment', CreatedDeployment],
  ['ListedDeployment', 'deployment', ListedDeployment],
  ['InstallationToken', 'installation-token', InstallationToken],
];

describe("Slipway's schemas of GitHub's answers take GitHub's own examples", () => {
  it.each(cases)('%s takes the example %s', (_name, name, schema) => {
    const parsed = schema.safeParse(example(name));
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it('ListedStatus takes every status of the example deployment-status-items', () => {
    const items = example('deployment-status-items') as unknown[];
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(ListedStatus.safeParse(item).error?.issues ?? []).toEqual([]);
  });
});
