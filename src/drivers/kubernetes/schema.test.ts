import { describe, expect, it } from 'vitest';
import { optionsSchema } from './schema.js';

describe('canary options', () => {
  const parse = (canary: unknown, more: Record<string, unknown> = {}) =>
    optionsSchema.safeParse({ namespace: 'shop', canary, ...more });
  const messages = (result: ReturnType<typeof parse>) =>
    result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('accepts each router with what it needs', () => {
    expect(parse({ router: 'gateway-api', httpRoute: 'web' }).success).toBe(true);
    expect(parse({ router: 'ingress-nginx', ingress: 'web', service: 'web-svc' }).success).toBe(
      true,
    );
    expect(parse({ router: 'replicas' }).success).toBe(true);
  });

  it('says what each router lacks or does not read', () => {
    expect(messages(parse({ router: 'gateway-api' }))).toEqual([
      'canary.httpRoute: the gateway-api router needs httpRoute: the name of the HTTPRoute that sends traffic to the service',
    ]);
    expect(messages(parse({ router: 'ingress-nginx', httpRoute: 'web', ingress: 'web' }))).toEqual([
      'canary.httpRoute: httpRoute is read by the gateway-api router only: remove it, or set router: gateway-api',
    ]);
    expect(messages(parse({ router: 'replicas', service: 'web' }))).toEqual([
      "canary.service: the replicas router puts the canary's pods behind the Deployment's own Service and creates none: remove service",
    ]);
    expect(messages(parse({ router: 'istio' }))[0]).toMatch(/^canary\.router: /);
  });

  it('refuses a canary in preview mode or beside several Deployments', () => {
    expect(
      messages(
        parse(
          { router: 'replicas' },
          { mode: 'preview', preview: { baseDomain: 'p.example.com', port: 80 } },
        ),
      ),
    ).toEqual([
      'canary: a canary runs beside a live Deployment, which preview mode does not update: remove canary, or use mode: update',
    ]);
    expect(messages(parse({ router: 'replicas' }, { deployments: ['web', 'worker'] }))).toEqual([
      'canary: a canary runs beside one Deployment: list only one in deployments, or give the others their own service',
    ]);
  });
});
