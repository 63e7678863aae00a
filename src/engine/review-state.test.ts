import { describe, expect, it } from 'vitest';
import { scenarioConfig } from '../../test/support/engine-harness.js';
import { deployment } from '../chat/test-support/deployments.js';
import { previewUrl, promotionKey, reviewTarget } from './review-state.js';

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

  it('reads the URL a driver reported, and names the promotion of a build', () => {
    expect(
      previewUrl(deployment({ driverRef: { deploy: {}, url: 'https://pr-12.example' } })),
    ).toBe('https://pr-12.example');
    expect(previewUrl(deployment({ driverRef: { deploy: { pid: 1 } } }))).toBeNull();
    expect(previewUrl(deployment({ driverRef: null }))).toBeNull();
    expect(promotionKey('d-1')).toBe('promote:d-1');
  });
});
