import { describe, expect, it } from 'vitest';
import { canarySteps } from '../../analysis/index.js';
import type { Canary } from '../../config/analysis.js';
import type { Deployment, DeploymentState } from '../../core/deployment.js';
import type { CanaryProgress, VerifyProgress } from '../../engine/index.js';
import { canarySection, stepStatus, stepText, verifySection } from './delivery.js';

const now = new Date('2026-12-06T12:00:00Z');
// 5%, hold 1 min, 50%, hold 1 min, 100%: five steps, then the promotion.
const steps = canarySteps({ steps: [5, 50, 100], interval: '1m' } as Canary);
const plan = { canary: { steps }, verify: null };

function deployment(state: DeploymentState, driverRef: unknown = null): Deployment {
  return {
    id: 'd-1',
    service: 'web',
    environment: 'production',
    version: '1.5.0',
    kind: 'deploy',
    state,
    driverRef,
  } as Deployment;
}

const progress = (changes: Partial<CanaryProgress>): CanaryProgress => ({
  step: 0,
  steps: steps.length,
  weight: 0,
  waitingSince: null,
  analysis: null,
  last: null,
  paused: null,
  seen: [],
  nextAt: null,
  promoting: false,
  ...changes,
});

const view = (d: Deployment, p: typeof plan | null = plan) => ({
  deployment: d,
  plan: p,
  signals: [],
  nameOf: (id: string) => id,
  now,
});

/** Each step's words and where it stands, as the list says them. */
function stepsShown(html: string): string[] {
  return [
    ...html.matchAll(/<li[^>]*>([^<]+) <span class="badge [a-z]+">([a-z ]+)<\/span><\/li>/g),
  ].map((m) => `${m[1]}: ${m[2]}`);
}

describe("a deployment's canary and verification", () => {
  it('says each step in words, and where a step stands', () => {
    expect(steps.map(stepText)).toEqual([
      'Send 5% of traffic to the canary',
      'Hold for 1m',
      'Send 50% of traffic to the canary',
      'Hold for 1m',
      'Send 100% of traffic to the canary',
    ]);
    expect([0, 1, 2].map((i) => stepStatus(i, 1, false))).toEqual(['done', 'now', 'to come']);
    expect([0, 1, 2].map((i) => stepStatus(i, 1, true))).toEqual([
      'done',
      'not reached',
      'not reached',
    ]);
  });

  it('shows the plan before the canary starts, and nothing when there is neither', () => {
    const html = canarySection(view(deployment('queued')))?.text ?? '';
    expect(html).toContain('It will go out as a canary, in these steps.');
    expect(stepsShown(html).every((s) => s.endsWith(': to come'))).toBe(true);
    expect(stepsShown(html)).toHaveLength(6);
    expect(canarySection(view(deployment('queued'), null))).toBeNull();
    expect(canarySection(view(deployment('succeeded')))).toBeNull();
  });

  it('marks the step in hand while it runs, and the promotion once it succeeded', () => {
    const running = canarySection(
      view(deployment('running', { canary: progress({ step: 2, weight: 5 }) })),
    )?.text;
    expect(running).toContain('5% of traffic to 1.5.0, step 3 of 5.');
    expect(stepsShown(running ?? '')).toEqual([
      'Send 5% of traffic to the canary: done',
      'Hold for 1m: done',
      'Send 50% of traffic to the canary: now',
      'Hold for 1m: to come',
      'Send 100% of traffic to the canary: to come',
      'Promote: the new version replaces the live one: to come',
    ]);
    expect(running).toContain('<li aria-current="step">Send 50%');
    const done = canarySection(
      view(
        deployment('succeeded', { canary: progress({ step: 5, weight: 100, promoting: true }) }),
      ),
    )?.text;
    expect(stepsShown(done ?? '').every((s) => s.endsWith(': done'))).toBe(true);
    expect(done).toContain('Where it stood when it ended: Promoting 1.5.0');
  });

  it('does not show steps the config no longer has', () => {
    const html = canarySection(
      view(deployment('running', { canary: progress({ steps: 3, step: 1, weight: 10 }) })),
    )?.text;
    expect(html).toContain('it walks the 3 steps it started with');
    expect(stepsShown(html ?? '')).toEqual([]);
  });

  it('shows a verification that asks a person, and its counts', () => {
    const verify: VerifyProgress = {
      analysis: null,
      last: {
        verdict: 'inconclusive',
        message: 'too little traffic',
        at: now.toISOString(),
        metrics: [],
      },
      waitingSince: null,
      nextAt: null,
      passes: 2,
      asked: 'only 3 requests, 20 needed',
      seen: [],
    };
    const html = verifySection(view(deployment('verifying', { verify })))?.text;
    expect(html).toContain('2 passing checks keep it.');
    expect(html).toContain('No verdict: only 3 requests, 20 needed.');
    expect(html).toContain('<strong>inconclusive</strong>, too little traffic');
    expect(verifySection(view(deployment('verifying')))).toBeNull();
  });
});
