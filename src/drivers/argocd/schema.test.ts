import { describe, expect, it } from 'vitest';
import { optionsSchema } from './schema.js';

describe('argocd options', () => {
  it('fills the defaults', () => {
    expect(optionsSchema.parse({ application: 'web-staging', kustomize: {} })).toEqual({
      application: 'web-staging',
      kustomize: {},
      prune: false,
      timeout: '10m',
      pollInterval: '2s',
      stream: true,
    });
    expect(
      optionsSchema.parse({ application: 'api', helm: { parameter: 'image.tag' } }).helm,
    ).toEqual({ parameter: 'image.tag', forceString: true });
  });

  it('wants exactly one way for the version to reach the application', () => {
    const neither = optionsSchema.safeParse({ application: 'web' });
    expect(neither.error?.issues[0]).toMatchObject({
      path: ['kustomize'],
      message: expect.stringMatching(/^say how the version reaches the application/),
    });
    const both = optionsSchema.safeParse({
      application: 'web',
      kustomize: {},
      helm: { parameter: 'image.tag' },
    });
    expect(both.error?.issues[0]?.path).toEqual(['helm']);
  });

  it('refuses what Argo CD would not name, durations it cannot read and unknown keys', () => {
    for (const bad of [
      { application: 'Web_App', kustomize: {} },
      { application: 'web', kustomize: { image: 'registry/web:1.0' } },
      { application: 'web', kustomize: {}, timeout: 'soon' },
      { application: 'web', kustomize: {}, server: 'https://argocd' },
      { application: 'web', kustomize: {}, appNamespace: 'Team.A' },
    ]) {
      expect(optionsSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(
      optionsSchema.safeParse({ application: 'web', kustomize: { image: 'localhost:5000/web' } })
        .success,
    ).toBe(true);
  });
});
