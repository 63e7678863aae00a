/**
 * Judging a release by its metrics. The engine takes a plan from config (`deliveryOf`,
 * `canarySteps`, `analysisPlan` in plan.ts), runs `runCheck` once per interval with a
 * Prometheus client, feeds each result to an `AnalysisRun` (or `recordCheck` on stored state)
 * and acts on the decision.
 */
export {
  type CheckContext,
  type CheckResult,
  type MetricResult,
  runCheck,
  thresholdText,
  type Verdict,
} from './check.js';
export { evaluateCondition, parseCondition } from './condition.js';
export { formatValue } from './format.js';
export {
  expandQuery,
  PLACEHOLDERS,
  PlaceholderError,
  type PlaceholderName,
  type PlaceholderValues,
} from './placeholders.js';
export {
  type AnalysisPlan,
  analysisPlan,
  type CanaryStep,
  canarySteps,
  type DeliveryPlan,
  deliveryOf,
} from './plan.js';
export {
  createPrometheusClient,
  type PrometheusClient,
  PrometheusError,
  type QueryResult,
} from './prometheus/client.js';
export { type PrometheusConnection, prometheusConnection } from './prometheus/settings.js';
export {
  type AnalysisDecision,
  type AnalysisLimits,
  AnalysisRun,
  AnalysisRunState,
  continueAfterAsk,
  initialRunState,
  recordCheck,
} from './run.js';
