import type { CheckResult, PrometheusClient } from '../analysis/index.js';
import {
  AnalysisRunState,
  createPrometheusClient,
  initialRunState,
  prometheusConnection,
  recordCheck,
  runCheck,
} from '../analysis/index.js';
import type { AnalysisPlan, CanaryStep, DeliveryPlan } from '../analysis/plan.js';
import { deliveryOf } from '../analysis/plan.js';
import { findService } from '../config/lookup.js';
import type { Deployment } from '../core/deployment.js';
import type { EngineDeps } from './context.js';

/**
 * How a deployment is judged by its metrics (config/analysis.ts): the plan for its service and
 * environment, a Prometheus to ask, and what the card shows of a check. The walk itself is in
 * canary.ts (a canary) and verification.ts (after any rollout).
 */

export function deliveryPlanOf(deps: EngineDeps, d: Deployment): DeliveryPlan {
  const service = findService(deps.config, d.service);
  if (!service) return { canary: null, verify: null };
  return deliveryOf(service, d.environment);
}

/** The Prometheus an analysis asks: the engine's own factory (tests), else its connection. */
export function prometheusFor(deps: EngineDeps, plan: AnalysisPlan): PrometheusClient {
  if (deps.prometheus) return deps.prometheus(plan.prometheusUrl);
  return createPrometheusClient(prometheusConnection(plan.prometheusUrl));
}

/** The last check, as stored with the deployment for its card: one line per metric. */
export interface CheckSummary {
  verdict: CheckResult['verdict'];
  message: string;
  at: string;
  metrics: { name: string; value: number | null; threshold: string; verdict: string }[];
}

export function summaryOf(result: CheckResult): CheckSummary {
  return {
    verdict: result.verdict,
    message: result.message,
    at: result.at,
    metrics: result.metrics.map((m) => ({
      name: m.name,
      value: m.value,
      threshold: m.threshold,
      verdict: m.verdict,
    })),
  };
}

/** Placeholder values for a deployment's queries; the driver's names where it gives them. */
export function queryValues(
  d: Deployment,
  names: { canary?: string; primary?: string; namespace?: string } = {},
) {
  return {
    service: d.service,
    environment: d.environment,
    version: d.version,
    // Absent rather than empty: a query naming it then errors, saying it has no value, instead
    // of matching an empty label on a first deploy.
    ...(d.previousVersion ? { previousVersion: d.previousVersion } : {}),
    canary: names.canary ?? `${d.service}-canary`,
    primary: names.primary ?? d.service,
    namespace: names.namespace ?? '',
  };
}

/** Runs one check and folds it into the stored counts; never throws but for an abort. */
export async function checkOnce(
  deps: EngineDeps,
  plan: AnalysisPlan,
  stored: unknown,
  values: ReturnType<typeof queryValues>,
  signal: AbortSignal,
  passes?: number,
) {
  const state = AnalysisRunState.safeParse(stored);
  let result: CheckResult;
  try {
    result = await runCheck(plan, { prometheus: prometheusFor(deps, plan), values, signal });
  } catch (err) {
    if (signal.aborted) throw err;
    // No Prometheus configured is an error verdict like an unreachable one: the limits decide.
    const message = err instanceof Error ? err.message : String(err);
    result = { verdict: 'error', metrics: [], message, at: new Date().toISOString() };
  }
  const limits = {
    failureLimit: plan.failureLimit,
    inconclusiveLimit: plan.inconclusiveLimit,
    consecutiveErrorLimit: plan.consecutiveErrorLimit,
    ...(passes === undefined ? {} : { passes }),
  };
  const recorded = recordCheck(state.success ? state.data : initialRunState(), result, limits);
  return { result, ...recorded };
}

export type { CanaryStep };
