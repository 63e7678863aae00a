import { describe, expect, it } from 'vitest';
import { optionsSchema } from './schema.js';

const base = { owner: 'acme', repo: 'web', workflow: 'deploy.yml' };

function problems(options: Record<string, unknown>): string[] {
  const result = optionsSchema.safeParse(options);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('github-actions options', () => {
  it('fills in the defaults', () => {
    expect(optionsSchema.parse(base)).toEqual({
      ...base,
      ref: 'main',
      inputs: {},
      versionInput: 'version',
      environmentInput: 'environment',
      correlationIdInput: 'correlation_id',
      timeout: '30m',
      pollInterval: '30s',
      startTimeout: '2m',
    });
  });

  it('takes a workflow by file name, by path in the repository or by numeric id', () => {
    const workflow = (w: unknown) => optionsSchema.parse({ ...base, workflow: w }).workflow;
    expect(workflow('.github/workflows/deploy.yaml')).toBe('deploy.yaml');
    expect(workflow(161335)).toBe('161335');
    expect(workflow('161335')).toBe('161335');
    expect(problems({ ...base, workflow: 'deploy' })[0]).toMatch(
      /^workflow: name the workflow file/,
    );
    expect(problems({ ...base, workflow: 'ci/deploy.yml' })).toHaveLength(1);
  });

  it('refuses names GitHub would refuse', () => {
    expect(problems({ ...base, owner: '-acme' })[0]).toMatch(/^owner:/);
    expect(problems({ ...base, repo: 'web app' })[0]).toMatch(/^repo:/);
    expect(problems({ ...base, inputs: { '1st': 'x' } })[0]).toMatch(
      /^inputs.1st: "1st" is not an input name/,
    );
    expect(problems({ ...base, timeout: 'soon' })[0]).toMatch(/^timeout: write a duration/);
    expect(problems({ ...base, token: 'ghp_x' })[0]).toMatch(/Unrecognized key/);
  });

  it('keeps the inputs Slipway sets apart from the static ones, within GitHub’s 25', () => {
    expect(problems({ ...base, inputs: { version: '1' } })).toEqual([
      'inputs.version: "version" is set by Slipway for every deployment; remove it from inputs',
    ]);
    expect(problems({ ...base, environmentInput: 'version' })[0]).toMatch(/three different inputs/);
    const inputs = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`i${i}`, 'x']));
    expect(problems({ ...base, inputs: inputs(22) })).toEqual([]);
    expect(problems({ ...base, inputs: inputs(23) })).toEqual([
      'inputs: a workflow_dispatch event carries at most 25 inputs and Slipway sends 3 of its own: keep at most 22 here',
    ]);
  });
});
