import { describe, expect, it } from 'vitest';
import { driverCanarySupport, driverOptionSchemas } from '../drivers/index.js';
import { type ConfigIssue, formatIssues, parseConfig } from './load.js';

/**
 * A canary on a driver that cannot split traffic, refused by the config check with the real
 * drivers' answers (their `canary` steps and capabilities), where the strategy is written.
 */

const CANARY = [
  '        strategy:', // 12
  '          canary:', // 13
  '            steps: [5, 50, 100]', // 14
  '            interval: 1m', // 15
];

/** web in production; lines 1–11, the driver's entry is written by each case. */
function config(entry: string[]): string {
  return [
    'environments:', // 1
    '  - name: production', // 2
    '    order: 1', // 3
    'services:', // 4
    '  - name: web', // 5
    '    driver:', // 6
    '      driver: command', // 7
    '      options:', // 8
    "        deploy: [./deploy.sh, '{version}']", // 9
    '    environments:', // 10
    '      production:', // 11
    ...entry,
  ].join('\n');
}

function check(text: string) {
  return parseConfig(text, {
    driverSchemas: driverOptionSchemas(),
    canarySupport: driverCanarySupport({}),
  });
}

function refused(text: string): ConfigIssue {
  const result = check(text);
  if (result.ok) throw new Error('expected the config to be refused');
  expect(result.errors, formatIssues(result.errors)).toHaveLength(1);
  return result.errors[0] as ConfigIssue;
}

describe('a canary on a driver that cannot split traffic', () => {
  it('is refused at its strategy when the driver has no canary at all (command)', () => {
    const issue = refused(config(CANARY));
    expect(issue).toMatchObject({
      path: 'services[0].environments.production.strategy',
      line: 13,
      message:
        'web runs a canary in production, but the command driver cannot split traffic between two versions',
    });
    expect(issue.fix).toMatch(/^use strategy: rolling \(add verify: \{ analysis \}/);
    expect(issue.fix).toContain('kubernetes with canary: { router: … }');
  });

  it('is refused when the driver could, but its options do not say how (kubernetes)', () => {
    const issue = refused(
      config(['        driver: kubernetes', '        options: { namespace: shop }', ...CANARY]),
    );
    expect(issue.path).toBe('services[0].environments.production.strategy');
    expect(issue.message).toBe(
      'web runs a canary in production, but its kubernetes driver options do not say how to split traffic',
    );
    expect(issue.fix).toContain('canary: { router: gateway-api | ingress-nginx | replicas }');
  });

  it('is accepted on kubernetes with a router, and a rolling strategy on any driver', () => {
    const kubernetes = config([
      '        driver: kubernetes',
      '        options: { namespace: shop, canary: { router: replicas } }',
      ...CANARY,
    ]);
    expect(check(kubernetes).ok).toBe(true);
    expect(check(config(['        strategy: rolling'])).ok).toBe(true);
  });

  it('leaves options that are already refused to their own message', () => {
    const result = check(
      config(['        driver: kubernetes', '        options: { namespace: Shop }', ...CANARY]),
    );
    if (result.ok) throw new Error('expected the config to be refused');
    expect(result.errors.map((e) => e.path)).toEqual([
      'services[0].environments.production.options.namespace',
    ]);
  });
});

describe('driverCanarySupport', () => {
  it('answers from each driver: only kubernetes splits traffic, and only with canary options', () => {
    const support = driverCanarySupport({});
    expect(support('command', { deploy: ['./deploy.sh'] })).toBe('cannot');
    expect(support('argocd', {})).toBe('cannot');
    expect(support('github-actions', {})).toBe('cannot');
    expect(support('no-such-driver', {})).toBe('cannot');
    expect(support('kubernetes', { namespace: 'shop' })).toBe('needs-options');
    expect(support('kubernetes', { namespace: 'shop', canary: { router: 'replicas' } })).toBe(
      'splits',
    );
  });
});
