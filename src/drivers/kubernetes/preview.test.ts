import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BuildRef } from '../../core/deployment.js';
import { type PreviewSpec, previewIdentity, previewManifests } from './preview.js';
import { PreviewOptions } from './schema.js';

const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const HASH = '[0-9a-f]{6}';
const branch = (name: string): BuildRef => ({ type: 'branch', name });
const identity = (ref: BuildRef, service = 'web') =>
  previewIdentity(service, 'review', ref, 'preview.example.com');

describe('previewIdentity', () => {
  it('names a preview after a ref that is already a DNS label', () => {
    expect(identity(branch('main'))).toEqual({
      name: 'web-branch-main',
      host: 'main.branch.preview.example.com',
      labels: {
        'app.kubernetes.io/name': 'web',
        'app.kubernetes.io/instance': 'web-branch-main',
        'app.kubernetes.io/managed-by': 'slipway',
        'slipway.dev/environment': 'review',
        'slipway.dev/ref-type': 'branch',
        'slipway.dev/preview': 'true',
      },
    });
  });

  it('adds a hash when the slug lost something, so refs that read alike keep apart', () => {
    const [slash, dash, upper] = ['feat/x', 'feat-x', 'Feat-X'].map((n) => identity(branch(n)));
    expect(dash?.name).toBe('web-branch-feat-x');
    expect(slash?.name).toMatch(new RegExp(`^web-branch-feat-x-${HASH}$`));
    expect(slash?.host).toMatch(new RegExp(`^feat-x-${HASH}\\.branch\\.preview\\.example\\.com$`));
    expect(new Set([slash?.name, dash?.name, upper?.name]).size).toBe(3);
    expect(identity({ type: 'tag', name: 'v1.2.3' }).name).toMatch(
      new RegExp(`^web-tag-v1-2-3-${HASH}$`),
    );
  });

  it('cuts long refs to 63 characters, keeping them apart by the hash of the full name', () => {
    const long = `feature-${'a'.repeat(80)}`;
    const [one, two] = [`${long}-one`, `${long}-two`].map((n) => identity(branch(n)));
    expect(one?.name).toHaveLength(63);
    expect(one?.name).toMatch(new RegExp(`^web-branch-feature-a+-${HASH}$`));
    expect(one?.host.split('.')[0]).toHaveLength(63);
    expect(one?.name).not.toBe(two?.name);
    expect(one?.host).not.toBe(two?.host);
  });

  it('still names refs without a letter or digit, and services starting with a digit', () => {
    expect(identity(branch('///'))).toMatchObject({
      name: expect.stringMatching(new RegExp(`^web-branch-${HASH}$`)),
      host: expect.stringMatching(new RegExp(`^${HASH}\\.branch\\.`)),
    });
    expect(identity(branch('main'), '3d-viewer').name).toBe('p-3d-viewer-branch-main');
  });

  it('gives valid object names, hosts and label values for any service and ref', () => {
    const service = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    const refName = fc.oneof(
      fc.string({ minLength: 1 }),
      fc.string({ minLength: 1, unit: 'grapheme' }),
    );
    fc.assert(
      fc.property(service, refName, refName, (svc, a, b) => {
        const one = identity(branch(a), svc);
        expect(one.name).toMatch(DNS_1035);
        expect(one.host.split('.')[0]).toMatch(DNS_1123);
        for (const value of Object.values(one.labels)) expect(value).toMatch(LABEL_VALUE);
        if (a !== b) expect(identity(branch(b), svc).name).not.toBe(one.name);
      }),
    );
  });
});

const NOW = new Date('2030-01-01T12:00:00Z');
function specFor(options: Record<string, unknown>, more: Partial<PreviewSpec> = {}): PreviewSpec {
  return {
    service: 'web',
    environment: 'review',
    ref: branch('fix/login'),
    image: 'registry.example.com/web:1.4.2',
    options: PreviewOptions.parse({ baseDomain: 'preview.example.com', port: 8080, ...options }),
    deploymentId: 'dep_1',
    requestedBy: 'U123',
    now: NOW,
    ...more,
  };
}

describe('previewManifests', () => {
  it('builds a Deployment, a Service and an https Ingress sharing name, labels and annotations', () => {
    const m = previewManifests(
      specFor({
        ttl: '2h',
        replicas: 2,
        env: { LOG_LEVEL: 'debug' },
        resources: { requests: { cpu: '100m', memory: 128 } },
        ingressClassName: 'nginx',
        tlsSecret: 'preview-wildcard',
      }),
    );
    const { name, host, labels } = identity(branch('fix/login'));
    expect(m.name).toBe(name);
    expect(m.url).toBe(`https://${host}`);
    for (const object of [m.deployment, m.service, m.ingress]) {
      expect(object.metadata).toEqual({
        name,
        labels,
        annotations: {
          'slipway.dev/ref': 'fix/login',
          'slipway.dev/deployment-id': 'dep_1',
          'slipway.dev/requested-by': 'U123',
          'slipway.dev/expires-at': '2030-01-01T14:00:00.000Z',
          'kubernetes.io/change-cause':
            'slipway: web 1.4.2 (branch fix/login) by U123, deployment dep_1',
        },
      });
    }
    const selector = { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': name };
    expect(m.deployment.spec).toMatchObject({ replicas: 2, selector: { matchLabels: selector } });
    expect(m.deployment.spec?.progressDeadlineSeconds).toBeUndefined();
    expect(m.deployment.spec?.template.metadata?.labels).toEqual(labels);
    expect(m.deployment.spec?.template.spec?.containers).toEqual([
      {
        name: 'web',
        image: 'registry.example.com/web:1.4.2',
        ports: [{ name: 'http', containerPort: 8080 }],
        env: [{ name: 'LOG_LEVEL', value: 'debug' }],
        resources: { requests: { cpu: '100m', memory: '128' }, limits: undefined },
      },
    ]);
    expect(m.service.spec).toEqual({
      type: 'ClusterIP',
      selector,
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    });
    expect(m.ingress.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: [host], secretName: 'preview-wildcard' }],
      rules: [
        {
          host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    });
  });

  it('serves plain http without a TLS secret and leaves optional fields out', () => {
    const m = previewManifests(specFor({}));
    expect(m.url).toBe(`http://${identity(branch('fix/login')).host}`);
    expect(m.ingress.spec).not.toHaveProperty('tls');
    expect(m.ingress.spec).not.toHaveProperty('ingressClassName');
    expect(m.deployment.spec?.replicas).toBe(1);
    expect(m.deployment.spec?.template.spec?.containers[0]).not.toHaveProperty('resources');
    expect(m.deployment.metadata?.annotations?.['slipway.dev/expires-at']).toBe(
      '2030-01-04T12:00:00.000Z',
    );
  });
});
