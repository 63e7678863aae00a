import { describe, expect, it } from 'vitest';
import { type HTTPRoute, routeWeight, unweighRoute, weighRoute } from './canary-route.js';

describe('HTTPRoute weights', () => {
  const ref = (name: string, weight?: number) => ({
    group: '',
    kind: 'Service',
    name,
    port: 80,
    ...(weight === undefined ? {} : { weight }),
  });
  const route = (...rules: HTTPRoute['spec'][]): HTTPRoute => ({
    metadata: { name: 'web' },
    spec: { rules: rules.flatMap((r) => r?.rules ?? []) },
  });
  const toWeb = { rules: [{ matches: [{ path: { value: '/' } }], backendRefs: [ref('web', 1)] }] };
  const toDocs = { rules: [{ backendRefs: [ref('docs', 1)] }] };

  it('splits every rule that sends to the service, and leaves the others', () => {
    const rules = weighRoute(route(toWeb, toDocs), 'web', 'shop', 25);
    expect(rules).toEqual([
      {
        matches: [{ path: { value: '/' } }],
        backendRefs: [ref('web', 75), ref('web-canary', 25)],
      },
      { backendRefs: [ref('docs', 1)] },
    ]);
    const weighed = route({ rules });
    expect(routeWeight(weighed, 'web', 'shop')).toBe(25);
    expect(weighRoute(weighed, 'web', 'shop', 100)[0]?.backendRefs).toEqual([
      ref('web', 0),
      ref('web-canary', 100),
    ]);
  });

  it('gives the service its default weight back when the canary leaves', () => {
    const weighed = route({ rules: weighRoute(route(toWeb, toDocs), 'web', 'shop', 0) });
    expect(unweighRoute(weighed, 'web', 'shop')).toEqual(route(toWeb, toDocs).spec?.rules);
  });

  it('refuses a route that does not send to the service, or shares its traffic with another', () => {
    expect(() => weighRoute(route(toDocs), 'web', 'shop', 5)).toThrow(
      'HTTPRoute web in namespace shop sends no traffic to Service web: set canary.service',
    );
    const shared = { rules: [{ backendRefs: [ref('web', 9), ref('legacy', 1)] }] };
    expect(() => weighRoute(route(shared), 'web', 'shop', 5)).toThrow(
      'HTTPRoute web in namespace shop splits the traffic of web with legacy',
    );
    // A Service of the same name in another namespace is not this one.
    const elsewhere = { rules: [{ backendRefs: [{ ...ref('web', 1), namespace: 'other' }] }] };
    expect(() => weighRoute(route(elsewhere), 'web', 'shop', 5)).toThrow('sends no traffic');
  });
});
