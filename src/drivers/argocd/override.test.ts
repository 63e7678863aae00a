import { describe, expect, it } from 'vitest';
import {
  fingerprint,
  liveRepository,
  type Override,
  overrideOf,
  overridePatch,
  parseKustomizeImage,
  versionIn,
  versionInImages,
} from './override.js';
import { optionsSchema } from './schema.js';

const kustomize: Override = { kind: 'kustomize', image: 'registry.test/web' };
const helm: Override = { kind: 'helm', parameter: 'image.tag', forceString: true };

describe('kustomize images', () => {
  it('reads the forms kustomize accepts', () => {
    expect(parseKustomizeImage('registry.test/web:1.2.3')).toEqual({
      name: 'registry.test/web',
      newName: null,
      tag: '1.2.3',
      digest: null,
    });
    expect(parseKustomizeImage('localhost:5000/web')).toMatchObject({
      name: 'localhost:5000/web',
      tag: null,
    });
    expect(parseKustomizeImage('web=mirror.test/web:2.0@sha256:abc')).toEqual({
      name: 'web',
      newName: 'mirror.test/web',
      tag: '2.0',
      digest: 'sha256:abc',
    });
  });

  it('replaces the tag of its image only, keeping newName and the other images', () => {
    const source = {
      kustomize: {
        images: ['registry.test/sidecar:9', 'registry.test/web=mirror.test/web:1.0@sha256:x'],
      },
    };
    expect(overridePatch(source, kustomize, '1.1')).toEqual({
      spec: {
        source: {
          kustomize: {
            images: ['registry.test/sidecar:9', 'registry.test/web=mirror.test/web:1.1'],
          },
        },
      },
    });
    expect(liveRepository(source, kustomize, null)).toBe('mirror.test/web');
    expect(overridePatch({}, kustomize, '1.1')).toEqual({
      spec: { source: { kustomize: { images: ['registry.test/web:1.1'] } } },
    });
    expect(
      overridePatch({ kustomize: { images: ['registry.test/web:1.1'] } }, kustomize, '1.1'),
    ).toBe(null);
  });
});

describe('helm parameters', () => {
  it('sets the parameter as a string, keeping the others and their fields', () => {
    const source = {
      helm: {
        parameters: [
          { name: 'replicas', value: '3' },
          { name: 'image.tag', value: '1.0' },
        ],
      },
    };
    expect(versionIn(source, helm)).toBe('1.0');
    expect(overridePatch(source, helm, '1.10')).toEqual({
      spec: {
        source: {
          helm: {
            parameters: [
              { name: 'replicas', value: '3' },
              { name: 'image.tag', value: '1.10', forceString: true },
            ],
          },
        },
      },
    });
  });
});

describe('override helpers', () => {
  it('takes the image from the options, else the service', () => {
    const options = optionsSchema.parse({ application: 'web', kustomize: {} });
    expect(overrideOf(options, 'registry.test/web')).toEqual(kustomize);
    expect(() => overrideOf(options, null)).toThrow(/give the service an "image"/);
  });

  it('finds the live tag only when it is the only one', () => {
    expect(versionInImages(['registry.test/web:1.1', 'redis:7'], 'registry.test/web')).toBe('1.1');
    expect(
      versionInImages(['registry.test/web:1.1', 'registry.test/web:1.2'], 'registry.test/web'),
    ).toBe(null);
    expect(versionInImages(['registry.test/web:1.1'], null)).toBe(null);
  });

  it('fingerprints sources whatever the order of their keys', () => {
    expect(fingerprint({ path: 'a', repoURL: 'r' })).toBe(fingerprint({ repoURL: 'r', path: 'a' }));
    expect(fingerprint({ path: 'a' })).not.toBe(fingerprint({ path: 'b' }));
  });
});
