import type { Analysis, Canary, Metric } from '../config/analysis.js';
import type { Service } from '../config/schema.js';
import { parseDuration } from '../core/duration.js';

/**
 * Analyses as the engine runs them: the config as written (src/config/analysis.ts) with every
 * default filled in, a canary's steps spelt out, and what a service's environment entry asks
 * for.
 */

/** `<query> >= <n>`: the query Slipway runs, and the least value it must return. */
export const MIN_SAMPLES = /^([\s\S]*\S)\s*>=\s*(\d+(?:\.\d+)?)\s*$/;

/** `'sum(…) >= 50'` → the query and 50. Call on validated config only. */
export function minSamplesOf(text: string): { query: string; min: number } {
  const match = MIN_SAMPLES.exec(text);
  if (!match) throw new Error(`minSamples not validated: ${text}`);
  return { query: match[1] as string, min: Number(match[2]) };
}

export const DEFAULT_INTERVAL_MS = 60_000;

/** An analysis with every default filled in: what a check and a run read. */
export interface AnalysisPlan {
  prometheusUrl: string | null;
  intervalMs: number;
  minSamples: { query: string; min: number } | null;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  metrics: Metric[];
}

export function analysisPlan(analysis: Analysis, intervalOverride?: string): AnalysisPlan {
  const interval = intervalOverride ?? analysis.interval;
  return {
    prometheusUrl: analysis.prometheus?.url ?? null,
    intervalMs: (interval && parseDuration(interval)) || DEFAULT_INTERVAL_MS,
    minSamples: analysis.minSamples === undefined ? null : minSamplesOf(analysis.minSamples),
    failureLimit: analysis.failureLimit ?? 0,
    inconclusiveLimit: analysis.inconclusiveLimit ?? 2,
    consecutiveErrorLimit: analysis.consecutiveErrorLimit ?? 4,
    metrics: analysis.metrics,
  };
}

/** A canary's steps as the engine walks them. */
export type CanaryStep =
  | { kind: 'weight'; weight: number }
  | { kind: 'pause'; ms: number }
  | { kind: 'analysis'; plan: AnalysisPlan };

/**
 * Weights become "set the weight, then hold it until a check passes" (or, without an
 * analysis, for one interval). The final 100 is not checked: the primary then serves nothing
 * to compare with, and promotion follows.
 */
export function canarySteps(canary: Canary): CanaryStep[] {
  const interval = canary.interval;
  const holdMs =
    (interval && parseDuration(interval)) ||
    (canary.analysis?.interval && parseDuration(canary.analysis.interval)) ||
    DEFAULT_INTERVAL_MS;
  const steps: CanaryStep[] = [];
  for (const step of canary.steps) {
    if (typeof step === 'number') {
      steps.push({ kind: 'weight', weight: step });
      if (step === 100) continue;
      steps.push(
        canary.analysis
          ? { kind: 'analysis', plan: analysisPlan(canary.analysis, interval) }
          : { kind: 'pause', ms: holdMs },
      );
    } else if ('setWeight' in step) {
      steps.push({ kind: 'weight', weight: step.setWeight });
    } else if ('pause' in step) {
      steps.push({ kind: 'pause', ms: parseDuration(step.pause) ?? holdMs });
    } else {
      const merged = { ...canary.analysis, ...(step.analysis ?? {}) } as Analysis;
      steps.push({ kind: 'analysis', plan: analysisPlan(merged, merged.interval ?? interval) });
    }
  }
  return steps;
}

/** What a service's entry for an environment asks for beyond its driver. */
export interface DeliveryPlan {
  /** null: rolling, the driver's own rollout. */
  canary: { steps: CanaryStep[] } | null;
  /** null: no verification by metrics. */
  verify: { plan: AnalysisPlan; passes: number } | null;
}

export function deliveryOf(
  service: Pick<Service, 'environments'>,
  environment: string,
): DeliveryPlan {
  const entry = service.environments[environment];
  const strategy = entry?.strategy;
  const verify = entry?.verify;
  return {
    canary:
      strategy === undefined || strategy === 'rolling'
        ? null
        : { steps: canarySteps(strategy.canary) },
    verify: verify ? { plan: analysisPlan(verify.analysis), passes: verify.intervals ?? 1 } : null,
  };
}
