import { describe, expect, it } from 'vitest';
import { scenarioConfig, scenarioConfigInput } from '../../../test/support/engine-harness.js';
import { deployment } from '../../chat/test-support/deployments.js';
import { Config } from '../../config/schema.js';
import { previewUrl, promotionKey, reviewTarget } from './engine-state.js';

const config = scenarioConfig('/nonexistent');

describe('which builds are up for review', () => {
  it('reviews deploys on unprotected environments that have a next one for the service', () => {
    const on = (environment: string, service = 'web') =>
      reviewTarget(config, deployment({ service, environment, state: 'succeeded' }))?.name ?? null;
    expect(on('staging')).toBe('perf');
    expect(on('perf')).toBe('production');
    // api skips perf: its next environment is production.
    expect(on('staging', 'api')).toBe('production');
    // Protected: where builds end up, not where they are tried.
    expect(on('production')).toBeNull();
    // The end of the chain.
    expect(on('frozen')).toBeNull();
    expect(on('nowhere')).toBeNull();
    expect(reviewTarget(config, deployment({ kind: 'rollback', state: 'succeeded' }))).toBeNull();
  });

  it('reviews only where builds land first unless an environment says otherwise', () => {
    const input = scenarioConfigInput('/nonexistent');
    const withReview = (review: Record<string, boolean | undefined>) =>
      Config.parse({
        ...input,
        environments: input.environments.map((env) => ({ ...env, review: review[env.name] })),
      });
    const on = (c: Config, environment: string, service = 'web') =>
      reviewTarget(c, deployment({ service, environment, state: 'succeeded' }))?.name ?? null;
    const byDefault = withReview({});
    expect(on(byDefault, 'staging')).toBe('perf');
    // A later step of the chain asks nobody: QA tried the build where it landed.
    expect(on(byDefault, 'perf')).toBeNull();
    expect(on(byDefault, 'staging', 'api')).toBe('production');
    const off = withReview({ staging: false });
    expect(on(off, 'staging')).toBeNull();
    expect(on(off, 'staging', 'api')).toBeNull();
    // Protected environments are never reviewed, whatever they say.
    expect(on(withReview({ production: true }), 'production')).toBeNull();
  });

  it('reads the URL a driver reported, and names the promotion of a build', () => {
    expect(
      previewUrl(deployment({ driverRef: { deploy: {}, url: 'https://pr-12.example' } })),
    ).toBe('https://pr-12.example');
    expect(previewUrl(deployment({ driverRef: { deploy: { pid: 1 } } }))).toBeNull();
    expect(previewUrl(deployment({ driverRef: null }))).toBeNull();
    expect(promotionKey('d-1')).toBe('promote:d-1');
  });
});
