import type { V1Deployment, V1Ingress, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  canaryDeployment,
  canaryIngress,
  canaryReplicas,
  canaryService,
  ingressWeight,
  isCanaryOf,
} from './canary-objects.js';

const primary: V1Deployment = {
  metadata: { name: 'web', namespace: 'shop', uid: 'uid-web', labels: { team: 'shop' } },
  spec: {
    replicas: 4,
    selector: { matchLabels: { app: 'web' } },
    minReadySeconds: 5,
    template: {
      metadata: { labels: { app: 'web', tier: 'front' }, annotations: { note: 'kept' } },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'registry.example.com/web:1.0.0',
            env: [{ name: 'A', value: '1' }],
          },
          { name: 'proxy', image: 'envoy:1.30' },
        ],
      },
    },
  },
};
const release = {
  version: '1.1.0',
  image: 'registry.example.com/web:1.1.0',
  deploymentId: 'dep_9',
  requestedBy: 'U1',
};

describe('canaryDeployment', () => {
  it("copies the primary's pod template with the new image, out of its Service's sight", () => {
    const canary = canaryDeployment({
      primary,
      containers: ['web'],
      release,
      replicas: 4,
      hideFrom: { app: 'web' },
      weight: null,
    });
    expect(canary.metadata).toEqual({
      name: 'web-canary',
      labels: {
        'app.kubernetes.io/managed-by': 'slipway',
        'slipway.dev/canary-of': 'web',
        'slipway.dev/track': 'canary',
      },
      annotations: {
        'kubernetes.io/change-cause': 'slipway: canary 1.1.0 by U1 (dep_9)',
        'slipway.dev/deployment-id': 'dep_9',
        'slipway.dev/requested-by': 'U1',
        'slipway.dev/version': '1.1.0',
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web' }],
    });
    expect(canary.spec?.selector).toEqual({
      matchLabels: { 'slipway.dev/canary-of': 'web', 'slipway.dev/track': 'canary' },
    });
    expect(canary.spec?.template.metadata).toEqual({
      labels: {
        app: 'web-canary',
        tier: 'front',
        'slipway.dev/canary-of': 'web',
        'slipway.dev/track': 'canary',
      },
      annotations: { note: 'kept' },
    });
    expect(canary.spec?.template.spec?.containers.map((c) => c.image)).toEqual([
      'registry.example.com/web:1.1.0',
      'envoy:1.30',
    ]);
    expect(canary.spec).toMatchObject({ replicas: 4, minReadySeconds: 5 });
    // The primary read from the cluster is not changed by building its canary.
    expect(primary.spec?.template.metadata?.labels?.app).toBe('web');
  });

  it('keeps the labels the Service selects for the replica ratio, and records the weight', () => {
    const canary = canaryDeployment({
      primary,
      containers: ['web'],
      release,
      replicas: 1,
      hideFrom: {},
      weight: 25,
    });
    expect(canary.spec?.template.metadata?.labels).toMatchObject({ app: 'web' });
    expect(canary.metadata?.annotations?.['slipway.dev/canary-weight']).toBe('25');
  });

  it('names canaries of long Deployments with valid label values that stay apart', () => {
    const long = (suffix: string) => ({
      ...primary,
      metadata: { name: `${'a'.repeat(70)}${suffix}`, uid: 'u' },
    });
    const [one, two] = ['-one', '-two'].map((s) =>
      canaryDeployment({
        primary: long(s),
        containers: ['web'],
        release,
        replicas: 1,
        hideFrom: {},
        weight: null,
      }),
    );
    const of = (d: V1Deployment | undefined) => d?.metadata?.labels?.['slipway.dev/canary-of'];
    expect(of(one)).toMatch(/^a+-[0-9a-f]{8}$/);
    expect(of(one)?.length).toBeLessThanOrEqual(63);
    expect(of(one)).not.toBe(of(two));
    expect(isCanaryOf(one?.metadata, long('-one').metadata.name)).toBe(true);
    expect(isCanaryOf(one?.metadata, long('-two').metadata.name)).toBe(false);
  });
});

describe('canaryService', () => {
  it("takes the primary Service's ports and selects the canary's pods only", () => {
    const service: V1Service = {
      metadata: { name: 'web-svc', uid: 's' },
      spec: {
        type: 'NodePort',
        clusterIP: '10.0.0.7',
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }],
      },
    };
    const canary = canaryService(primary, service);
    expect(canary.metadata?.name).toBe('web-svc-canary');
    expect(canary.spec).toEqual({
      type: 'ClusterIP',
      selector: { 'slipway.dev/canary-of': 'web', 'slipway.dev/track': 'canary' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    });
  });
});

describe('canaryIngress', () => {
  const ingress: V1Ingress = {
    metadata: { name: 'web', annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/' } },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'web', port: { number: 80 } } },
              },
              {
                path: '/docs',
                pathType: 'Prefix',
                backend: { service: { name: 'docs', port: { number: 80 } } },
              },
            ],
          },
        },
        {
          host: 'docs.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'docs', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };

  it("keeps the paths to the service, leading to its canary, with ingress-nginx's canary annotations", () => {
    const canary = canaryIngress(primary, ingress, 'web', 5);
    expect(canary?.metadata?.name).toBe('web-canary');
    expect(canary?.metadata?.annotations).toEqual({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '5',
    });
    expect(canary?.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'web-canary', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    });
    expect(ingressWeight(canary)).toBe(5);
  });

  it('has nothing to copy from an Ingress that does not lead to the service', () => {
    expect(canaryIngress(primary, ingress, 'shop', 5)).toBeNull();
  });

  it('reads the weight as ingress-nginx does: only when canary is "true", out of the total', () => {
    const annotated = (annotations: Record<string, string>): V1Ingress => ({
      metadata: { annotations },
    });
    const canary = 'nginx.ingress.kubernetes.io/canary';
    const weight = 'nginx.ingress.kubernetes.io/canary-weight';
    expect(ingressWeight(null)).toBe(0);
    expect(ingressWeight(annotated({ [weight]: '30' }))).toBe(0);
    expect(ingressWeight(annotated({ [canary]: 'true', [weight]: '30' }))).toBe(30);
    expect(
      ingressWeight(
        annotated({
          [canary]: 'true',
          [weight]: '250',
          'nginx.ingress.kubernetes.io/canary-weight-total': '1000',
        }),
      ),
    ).toBe(25);
  });
});

describe('canaryReplicas (the replica ratio)', () => {
  it.each([
    [4, 0, 0],
    [4, 5, 1],
    [4, 25, 1],
    [4, 50, 2],
    [4, 100, 4],
    [3, 50, 2],
  ])('%i primary pods at %i%% → %i canary pods', (total, weight, pods) => {
    expect(canaryReplicas(total, weight)).toBe(pods);
  });
});
