import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { driverOptionSchemas } from '../index.js';
import { identifyingParameters, jobPath, phaseJob, startedWith } from './parameters.js';
import { optionsSchema } from './schema.js';
import { makeDeployment } from './test-support/world.js';

const base = { url: 'https://ci.example.com/', job: 'platform/deploy-web' };

function problems(options: Record<string, unknown>): string[] {
  const result = optionsSchema.safeParse(options);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('jenkins options', () => {
  it('fills in the defaults', () => {
    expect(optionsSchema.parse(base)).toEqual({
      url: 'https://ci.example.com',
      job: 'platform/deploy-web',
      parameters: {
        VERSION: '{version}',
        ENVIRONMENT: '{environment}',
        SLIPWAY_DEPLOYMENT_ID: '{deploymentId}',
      },
      credentialsEnv: 'JENKINS',
      timeout: '30m',
      pollInterval: '5s',
    });
  });

  it('takes a job by its full name or its URL path, and builds its path from that', () => {
    const job = (j: string) => optionsSchema.parse({ ...base, job: j }).job;
    expect(job('/job/platform/job/deploy-web/')).toBe('platform/deploy-web');
    expect(job('deploy')).toBe('deploy');
    expect(jobPath('platform/deploy web#1')).toBe('/job/platform/job/deploy%20web%231');
    expect(problems({ ...base, job: 'a//b' })[0]).toMatch(/^job: write the job's full name/);
    expect(problems({ ...base, job: '' })[0]).toMatch(/^job: name the Jenkins job/);
  });

  it('refuses an address with credentials or a query, and unknown placeholders', () => {
    expect(problems({ ...base, url: 'https://bot:token@ci.example.com' })[0]).toMatch(
      /^url: .*credentials come from JENKINS_USER and JENKINS_TOKEN/,
    );
    expect(problems({ ...base, url: 'ftp://ci' })).toHaveLength(1);
    expect(problems({ ...base, parameters: { V: '{verison}' } })).toEqual([
      'parameters.V: unknown placeholder {verison}: use one of {service} {version} {environment} {deploymentId} {correlationId} {previousVersion} {image} {ref} {refSlug}',
    ]);
    expect(problems({ ...base, credentialsEnv: 'jenkins-prod' })[0]).toMatch(
      /^credentialsEnv: name an environment variable prefix/,
    );
    expect(problems({ ...base, timeout: 'soon' })[0]).toMatch(/^timeout: write a duration/);
    expect(problems({ ...base, token: 'x' })).toHaveLength(1);
  });

  it('fills each phase’s parameters and recognises its builds by those naming the deployment', () => {
    const options = optionsSchema.parse({
      ...base,
      parameters: { TAG: '{service}:{version}', ID: '{deploymentId}', LITERAL: 'x' },
      rollbackJob: 'platform/rollback-web',
      rollbackParameters: { TO: '{version}', FROM: '{previousVersion}' },
    });
    const ctx = { deployment: makeDeployment(), image: null, options } as never;
    const deploy = phaseJob(ctx, 'deploy', '2.0.0');
    expect(deploy).toEqual({
      job: 'platform/deploy-web',
      parameters: { TAG: 'web:2.0.0', ID: 'd-7c1e2a9b4f30', LITERAL: 'x' },
      identifying: ['ID'],
    });
    expect(phaseJob(ctx, 'rollback', '1.0.0')).toEqual({
      job: 'platform/rollback-web',
      parameters: { TO: '1.0.0', FROM: '1.2.2' },
      identifying: [],
    });
    const built = (parameters: { name: string; value: string }[]) => ({
      number: 4,
      url: 'u',
      actions: [{ parameters }, null, {}],
    });
    const ours = built([
      { name: 'ID', value: 'd-7c1e2a9b4f30' },
      { name: 'TAG', value: 'web:2.0.0' },
    ]);
    expect(startedWith(ours, deploy.parameters, deploy.identifying)).toBe(true);
    expect(startedWith(built([{ name: 'ID', value: 'd-other' }]), deploy.parameters, ['ID'])).toBe(
      false,
    );
    expect(
      startedWith(built([{ name: 'TAG', value: 'web:2.0.0' }]), deploy.parameters, ['ID']),
    ).toBe(false);
    expect(startedWith(ours, deploy.parameters, [])).toBe(false);
    expect(identifyingParameters({ A: 'run {correlationId}', B: '{version}' })).toEqual(['A']);
  });
});

describe('jenkins options in slipway.yaml', () => {
  const yaml = (options: string[]) =>
    [
      'environments:',
      '  - { name: staging, order: 1 }',
      'services:',
      '  - name: web',
      '    driver:',
      '      driver: jenkins',
      '      options:',
      '        url: https://ci.example.com',
      '        job: platform/deploy-web',
      ...options.map((line) => `        ${line}`),
    ].join('\n');

  it('loads, with the credentials named by their variables', () => {
    const result = parseConfig(yaml(['credentialsEnv: JENKINS_PROD']), {
      driverSchemas: driverOptionSchemas(),
    });
    expect(result.ok).toBe(true);
  });

  it('is refused at load on the line of the mistake', () => {
    const result = parseConfig(yaml(['parameters:', '  VERSION: "{verison}"']), {
      driverSchemas: driverOptionSchemas(),
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]).toMatchObject({
      line: 11,
      message: expect.stringContaining('unknown placeholder {verison}'),
    });
  });
});
