import { describe, expect, it } from 'vitest';
import { canarySteps, deliveryOf } from '../analysis/plan.js';
import { type ConfigIssue, formatIssues, parseConfig } from './load.js';

/** Lines 1–9: a service whose production entry the cases fill from line 10 on. */
const BASE = [
  'environments:', // 1
  '  - name: production', // 2
  '    order: 1', // 3
  'services:', // 4
  '  - name: web', // 5
  '    driver: { driver: command, options: { deploy: [./deploy.sh] } }', // 6
  '    environments:', // 7
  '      production:', // 8
  '        driver: command', // 9
];

const SUCCESS_RATE = [
  '            - name: success-rate',
  `              query: 'sum(rate(http_requests_total{app="{canary}",code!~"5.."}[{interval}])) / sum(rate(http_requests_total{app="{canary}"}[{interval}]))'`,
  '              thresholdRange: { min: 0.95 }',
];

function parse(lines: string[]) {
  return parseConfig([...BASE, ...lines].join('\n'));
}

function errors(lines: string[]): ConfigIssue[] {
  const result = parse(lines);
  if (result.ok) throw new Error('expected the config to be refused');
  return result.errors;
}

function only(lines: string[]): ConfigIssue {
  const found = errors(lines);
  expect(found, formatIssues(found)).toHaveLength(1);
  return found[0] as ConfigIssue;
}

describe('strategy and verify on a service environment', () => {
  it('accepts the canary from the issue with defaults left to the plan', () => {
    const result = parse([
      '        strategy:',
      '          canary:',
      '            steps: [5, 25, 50, 100]',
      '            interval: 1m',
      '            analysis:',
      '              prometheus: { url: "http://prometheus:9090" }',
      `              minSamples: 'sum(increase(http_requests_total{app="{canary}"}[{interval}])) >= 50'`,
      '              failureLimit: 2',
      '              metrics:',
      ...SUCCESS_RATE.map((line) => `    ${line}`),
      '                - name: latency-vs-primary',
      `                  query: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app="{canary}"}[{interval}])))'`,
      `                  baseline: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app="{primary}"}[{interval}])))'`,
      '                  maxRatio: 1.2',
    ]);
    if (!result.ok) throw new Error(formatIssues(result.errors));
    const web = result.config.services[0];
    if (!web) throw new Error('no service');
    const plan = deliveryOf(web, 'production');
    expect(plan.verify).toBeNull();
    const steps = plan.canary?.steps ?? [];
    expect(steps.map((s) => (s.kind === 'weight' ? s.weight : s.kind))).toEqual([
      5,
      'analysis',
      25,
      'analysis',
      50,
      'analysis',
      100,
    ]);
    const analysis = steps[1];
    if (analysis?.kind !== 'analysis') throw new Error('no analysis step');
    expect(analysis.plan).toMatchObject({
      prometheusUrl: 'http://prometheus:9090',
      intervalMs: 60_000,
      minSamples: { min: 50 },
      failureLimit: 2,
      inconclusiveLimit: 2,
      consecutiveErrorLimit: 4,
    });
    expect(analysis.plan.minSamples?.query).toBe(
      'sum(increase(http_requests_total{app="{canary}"}[{interval}]))',
    );
  });

  it('leaves a service without strategy rolling and without verification', () => {
    const result = parse([]);
    if (!result.ok) throw new Error(formatIssues(result.errors));
    expect(deliveryOf(result.config.services[0] as never, 'production')).toEqual({
      canary: null,
      verify: null,
    });
  });

  it('walks Rollouts-style steps as written, a step analysis overriding the canary’s', () => {
    const result = parse([
      '        strategy:',
      '          canary:',
      '            steps:',
      '              - setWeight: 10',
      '              - pause: 2m',
      '              - analysis: { failureLimit: 3 }',
      '              - setWeight: 100',
      '            analysis:',
      '              interval: 30s',
      '              metrics:',
      ...SUCCESS_RATE.map((line) => `    ${line}`),
    ]);
    if (!result.ok) throw new Error(formatIssues(result.errors));
    const strategy = result.config.services[0]?.environments.production?.strategy;
    if (!strategy || strategy === 'rolling') throw new Error('no canary');
    const steps = canarySteps(strategy.canary);
    expect(steps.map((s) => s.kind)).toEqual(['weight', 'pause', 'analysis', 'weight']);
    expect(steps[1]).toEqual({ kind: 'pause', ms: 120_000 });
    expect(steps[2]).toMatchObject({ plan: { failureLimit: 3, intervalMs: 30_000 } });
  });

  it('holds each weight one interval when the canary has no analysis', () => {
    const result = parse(['        strategy: { canary: { steps: [50, 100], interval: 5m } }']);
    if (!result.ok) throw new Error(formatIssues(result.errors));
    const plan = deliveryOf(result.config.services[0] as never, 'production');
    expect(plan.canary?.steps).toEqual([
      { kind: 'weight', weight: 50 },
      { kind: 'pause', ms: 300_000 },
      { kind: 'weight', weight: 100 },
    ]);
  });

  it('accepts verify for N passing checks', () => {
    const result = parse([
      '        verify:',
      '          intervals: 3',
      '          analysis:',
      '            metrics:',
      '              - name: errors',
      `                query: 'sum(rate(http_requests_total{service="{service}",version="{version}",code=~"5.."}[{interval}]))'`,
      "                successCondition: 'result < 1'",
    ]);
    if (!result.ok) throw new Error(formatIssues(result.errors));
    const plan = deliveryOf(result.config.services[0] as never, 'production');
    expect(plan.verify?.passes).toBe(3);
    expect(plan.verify?.plan.metrics[0]?.successCondition).toBe('result < 1');
  });
});

describe('strategy and verify refused, each at its line with a fix', () => {
  it('refuses weights that fall back', () => {
    const issue = only(['        strategy: { canary: { steps: [5, 50, 25, 100] } }']);
    expect(issue.line).toBe(10);
    expect(issue.message).toBe('weight 25 does not rise above the one before it (50)');
    expect(issue.path).toBe('services[0].environments.production.strategy.canary.steps[2]');
  });

  it('refuses weights that stop short of 100', () => {
    const issue = only([
      '        strategy: { canary: { steps: [{setWeight: 5}, {setWeight: 50}] } }',
    ]);
    expect(issue.message).toBe('the last weight is 50, not 100');
    expect(issue.fix).toContain('end the weights at 100');
  });

  it('refuses a weight outside 1..100', () => {
    const issue = only(['        strategy: { canary: { steps: [5, 150] } }']);
    expect(issue.path).toBe('services[0].environments.production.strategy.canary.steps[1]');
    expect(issue.message).toContain('150');
  });

  it('names the step shape when a step object is misspelt', () => {
    const issue = only([
      '        strategy: { canary: { steps: [{setWeigth: 5}, {setWeight: 100}] } }',
    ]);
    expect(issue.path).toBe('services[0].environments.production.strategy.canary.steps[0]');
    expect(issue.fix).toBe(
      'write a weight (5), or one of {setWeight: 5}, {pause: 2m}, {analysis: {}}',
    );
  });

  it('reports the problem inside the step the writer meant', () => {
    const issue = only([
      '        strategy: { canary: { steps: [{setWeight: 5}, {pause: soon}, {setWeight: 100}] } }',
    ]);
    expect(issue.path).toBe('services[0].environments.production.strategy.canary.steps[1].pause');
    expect(issue.message).toBe('"soon" is not a duration');
  });

  it('refuses an unknown strategy with what it may be', () => {
    const issue = only(['        strategy: canry']);
    expect(issue.message).toBe('"canry" is not allowed for strategy');
  });

  it('refuses an unknown placeholder, and Flagger’s template syntax', () => {
    const found = errors([
      '        verify:',
      '          analysis:',
      '            metrics:',
      '              - { name: a, query: \'up{job="{servce}"}\', thresholdRange: { min: 1 } }',
      '              - { name: b, query: \'up{job="{{ target }}"}\', thresholdRange: { min: 1 } }',
    ]);
    expect(found.map((i) => [i.line, i.message])).toEqual([
      [13, '{servce} is not a placeholder Slipway knows'],
      [14, '{{ target }} is template syntax from Flagger or Argo Rollouts'],
    ]);
    expect(found[0]?.fix).toContain('{service}');
  });

  it('refuses {canary} in a verification, where only one version is live', () => {
    const issue = only([
      '        verify:',
      '          analysis:',
      '            metrics:',
      '              - { name: a, query: \'up{job="{canary}"}\', thresholdRange: { min: 1 } }',
    ]);
    expect(issue.message).toBe(
      '{canary} has no value here: verification runs after the rollout, when only the new version is live',
    );
    expect(issue.path).toBe('services[0].environments.production.verify.analysis.metrics[0].query');
  });

  it('refuses a metric with two thresholds, or none', () => {
    const found = errors([
      '        verify:',
      '          analysis:',
      '            metrics:',
      "              - { name: a, query: up, thresholdRange: { min: 1 }, successCondition: 'result == 1' }",
      '              - { name: b, query: up }',
    ]);
    expect(found.map((i) => i.message)).toEqual([
      'metric "a" sets both thresholdRange and successCondition',
      'metric "b" has no threshold, so it could never fail',
    ]);
  });

  it('refuses a malformed successCondition with its column', () => {
    const issue = only([
      '        verify:',
      '          analysis:',
      '            metrics:',
      "              - { name: a, query: up, successCondition: 'result => 1' }",
    ]);
    expect(issue.message).toBe(
      'successCondition: "=>" is not a comparison: write ">=" at column 8',
    );
  });

  it('refuses a ratio without a baseline and a baseline without a ratio', () => {
    const found = errors([
      '        verify:',
      '          analysis:',
      '            metrics:',
      '              - { name: a, query: up, thresholdRange: { min: 1 }, maxRatio: 2 }',
      '              - { name: b, query: up, baseline: up }',
    ]);
    expect(found.map((i) => i.message)).toEqual([
      'a ratio needs a baseline query to compare with',
      'metric "b" has a baseline but no ratio to hold it to',
    ]);
  });

  it('refuses minSamples without its bar, credentials in the URL, and duplicate metric names', () => {
    const found = errors([
      '        verify:',
      '          analysis:',
      '            prometheus: { url: "http://admin:hunter2@prometheus:9090" }',
      "            minSamples: 'sum(increase(http_requests_total[{interval}]))'",
      '            metrics:',
      '              - { name: a, query: up, thresholdRange: { min: 1 } }',
      '              - { name: a, query: up, thresholdRange: { max: 1 } }',
    ]);
    expect(found.map((i) => i.message)).toEqual(
      expect.arrayContaining([
        'the Prometheus URL carries credentials',
        'minSamples does not end with ">= <number>"',
        'metric "a" is listed twice',
      ]),
    );
  });
});
