import type { Metric } from '../config/analysis.js';
import { evaluateCondition, parseCondition } from './condition.js';
import { formatValue } from './format.js';
import { expandQuery, type PlaceholderValues, promDuration } from './placeholders.js';
import type { AnalysisPlan } from './plan.js';
import { type PrometheusClient, resultValues } from './prometheus/client.js';
import { withWrittenPosition } from './query-error.js';

/**
 * What one check says:
 * - `pass`: every metric is within its threshold;
 * - `fail`: a metric is outside it (this outweighs the rest: a failing value is a real signal);
 * - `inconclusive`: too few requests (`minSamples`) or no data: wait, never fail;
 * - `error`: a query could not be answered (Prometheus unreachable, a refused query, a value
 *   Slipway cannot read).
 */
export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';

export interface MetricResult {
  name: string;
  /** The canary's value; null without one (no data, an error). */
  value: number | null;
  /** Every value when the query returned several series (`result[i]` conditions). */
  values?: number[];
  /** The primary's value, for a baseline metric; null without one. */
  baseline?: number | null;
  /** The threshold as a person reads it: ">= 0.95", "result[0] < 500", "<= 1.2 × primary". */
  threshold: string;
  verdict: Verdict;
  /** One line: "success-rate 0.88 < 0.95", "success-rate: no data". */
  message: string;
}

export interface CheckResult {
  verdict: Verdict;
  /** What `minSamples` measured, when the analysis has one; null value: it could not be read. */
  samples?: { value: number | null; min: number };
  /** Empty when the check stopped before the metrics (below minSamples, or it errored). */
  metrics: MetricResult[];
  /** One line for chat and the history. */
  message: string;
  /** When the queries were evaluated (ISO 8601): all of a check's queries read the same instant. */
  at: string;
}

export interface CheckContext {
  prometheus: PrometheusClient;
  /** Values of the placeholders; `{interval}` comes from the analysis. */
  values: Omit<PlaceholderValues, 'interval'>;
  signal?: AbortSignal;
  /** The instant to evaluate at; default now. */
  time?: Date;
}

/**
 * Runs one check of an analysis: minSamples first (below the bar the metrics are not judged:
 * a low-traffic canary is inconclusive, never failed), then every metric at the same instant.
 * Throws only when `context.signal` aborts; every other problem is a verdict.
 */
export async function runCheck(plan: AnalysisPlan, context: CheckContext): Promise<CheckResult> {
  const time = context.time ?? new Date();
  const at = time.toISOString();
  const values = { ...context.values, interval: promDuration(plan.intervalMs) };
  const ask = async (query: string): Promise<number[]> => {
    const expanded = expandQuery(query, values);
    try {
      const found = await context.prometheus.query(expanded.text, { signal: context.signal, time });
      return resultValues(found);
    } catch (err) {
      throw withWrittenPosition(err, expanded, query);
    }
  };

  let samples: CheckResult['samples'];
  if (plan.minSamples) {
    const counted = await countSamples(plan.minSamples, ask, context.signal);
    if (counted.stop) return { ...counted.stop, samples: counted.samples, metrics: [], at };
    samples = counted.samples;
  }

  const metrics = await Promise.all(
    plan.metrics.map((metric) => judgeMetric(metric, ask, context.signal)),
  );
  const verdict = overall(metrics.map((m) => m.verdict));
  const shown = verdict === 'pass' ? metrics : metrics.filter((m) => m.verdict === verdict);
  const result: CheckResult = {
    verdict,
    metrics,
    message: shown.map((m) => m.message).join('; '),
    at,
  };
  if (samples) result.samples = samples;
  return result;
}

/** The minSamples query's count, and the verdict that stops the check when it is too low. */
async function countSamples(
  bar: { query: string; min: number },
  ask: Ask,
  signal?: AbortSignal,
): Promise<{
  samples: { value: number | null; min: number };
  stop?: { verdict: Verdict; message: string };
}> {
  const { min } = bar;
  let counted: number[];
  try {
    counted = await ask(bar.query);
  } catch (err) {
    if (signal?.aborted) throw err;
    return {
      samples: { value: null, min },
      stop: { verdict: 'error', message: `minSamples: ${reason(err)}` },
    };
  }
  // No series at all means nothing was served: zero samples, not an error.
  const value = counted.length === 0 || Number.isNaN(counted[0]) ? 0 : (counted[0] as number);
  if (value >= min) return { samples: { value, min } };
  return {
    samples: { value, min },
    stop: {
      verdict: 'inconclusive',
      message: `${formatValue(value)} samples, ${formatValue(min)} needed (minSamples): waiting for traffic`,
    },
  };
}

function overall(verdicts: Verdict[]): Verdict {
  for (const verdict of ['fail', 'error', 'inconclusive'] as const) {
    if (verdicts.includes(verdict)) return verdict;
  }
  return 'pass';
}

type Ask = (query: string) => Promise<number[]>;

async function judgeMetric(metric: Metric, ask: Ask, signal?: AbortSignal): Promise<MetricResult> {
  const threshold = thresholdText(metric);
  try {
    if (metric.baseline !== undefined) {
      const [canary, primary] = await Promise.all([ask(metric.query), ask(metric.baseline)]);
      return judgeRatio(metric, threshold, canary, primary);
    }
    const found = await ask(metric.query);
    if (metric.successCondition !== undefined) {
      return judgeCondition(metric, threshold, metric.successCondition, found);
    }
    return judgeRange(metric, threshold, found);
  } catch (err) {
    if (signal?.aborted) throw err;
    return errorResult(metric, threshold, reason(err));
  }
}

function judgeRange(metric: Metric, threshold: string, found: number[]): MetricResult {
  const one = single(found);
  if (one.kind === 'error') return errorResult(metric, threshold, one.error);
  if (one.kind === 'none') return noData(metric, threshold);
  const { value } = one;
  const { min, max } = metric.thresholdRange ?? {};
  let broken: string | null = null;
  if (min !== undefined && !(value >= min))
    broken = `${formatValue(value, min)} < ${formatValue(min)}`;
  else if (max !== undefined && !(value <= max))
    broken = `${formatValue(value, max)} > ${formatValue(max)}`;
  return {
    name: metric.name,
    threshold,
    value,
    verdict: broken ? 'fail' : 'pass',
    message: `${metric.name} ${broken ?? `${formatValue(value)} (${threshold})`}`,
  };
}

function judgeCondition(
  metric: Metric,
  threshold: string,
  condition: string,
  found: number[],
): MetricResult {
  const first = found[0];
  const value = first === undefined || Number.isNaN(first) ? null : first;
  const base = {
    name: metric.name,
    threshold,
    value,
    ...(found.length > 1 ? { values: found } : {}),
  };
  const parsed = parseCondition(condition);
  // The config refuses conditions that do not parse; this guards a plan built by hand.
  if (!parsed.ok) return { ...errorResult(metric, threshold, parsed.message), ...base };
  const outcome = evaluateCondition(parsed.node, found);
  if (outcome === 'no-data') return { ...noData(metric, threshold), ...base };
  if (typeof outcome === 'object')
    return { ...errorResult(metric, threshold, outcome.error), ...base };
  const shown =
    found.length === 1
      ? formatValue(found[0] as number)
      : `[${found.map((v) => formatValue(v)).join(', ')}]`;
  return {
    ...base,
    verdict: outcome ? 'pass' : 'fail',
    message: outcome
      ? `${metric.name} ${shown} (${threshold})`
      : `${metric.name} ${shown} fails ${threshold}`,
  };
}

function judgeRatio(
  metric: Metric,
  threshold: string,
  canaryFound: number[],
  primaryFound: number[],
): MetricResult {
  const canary = single(canaryFound);
  const primary = single(primaryFound);
  if (canary.kind === 'error')
    return { ...errorResult(metric, threshold, canary.error), baseline: null };
  if (primary.kind === 'error') {
    return { ...errorResult(metric, threshold, `the baseline: ${primary.error}`), baseline: null };
  }
  const baseline = primary.kind === 'value' ? primary.value : null;
  if (canary.kind === 'none') return { ...noData(metric, threshold), baseline };
  if (primary.kind === 'none') {
    return {
      ...noData(metric, threshold),
      value: canary.value,
      baseline,
      message: `${metric.name}: no data for the primary`,
    };
  }
  const c = canary.value;
  const p = primary.value;
  // Both at zero (no errors on either side) are alike, not undefined.
  const ratio = c === p ? 1 : c / p;
  const { maxRatio, minRatio } = metric;
  let broken: string | null = null;
  if (maxRatio !== undefined && !(ratio <= maxRatio)) broken = `> ${formatValue(maxRatio)}×`;
  else if (minRatio !== undefined && !(ratio >= minRatio)) broken = `< ${formatValue(minRatio)}×`;
  const bound = maxRatio !== undefined && broken?.startsWith('>') ? maxRatio : minRatio;
  const compared = `${metric.name} ${formatValue(c)} is ${formatValue(ratio, bound)}× the primary's ${formatValue(p)}`;
  return {
    name: metric.name,
    threshold,
    value: c,
    baseline: p,
    verdict: broken ? 'fail' : 'pass',
    message: `${compared} (${broken ?? threshold})`,
  };
}

type One = { kind: 'value'; value: number } | { kind: 'none' } | { kind: 'error'; error: string };

/** The one value of a result: none for no data (no series, NaN), an error for several series. */
function single(found: number[]): One {
  if (found.length > 1) {
    return {
      kind: 'error',
      error: `the query returned ${found.length} series, not one value: aggregate it (sum, avg, max), or use a successCondition with result[i]`,
    };
  }
  const value = found[0];
  return value === undefined || Number.isNaN(value) ? { kind: 'none' } : { kind: 'value', value };
}

function noData(metric: Metric, threshold: string): MetricResult {
  return {
    name: metric.name,
    threshold,
    value: null,
    verdict: 'inconclusive',
    message: `${metric.name}: no data`,
  };
}

function errorResult(metric: Metric, threshold: string, why: string): MetricResult {
  return {
    name: metric.name,
    threshold,
    value: null,
    verdict: 'error',
    message: `${metric.name}: ${why}`,
  };
}

export function thresholdText(metric: Metric): string {
  if (metric.successCondition !== undefined) return metric.successCondition;
  if (metric.baseline !== undefined) {
    const { minRatio, maxRatio } = metric;
    if (minRatio !== undefined && maxRatio !== undefined) {
      return `${formatValue(minRatio)}×..${formatValue(maxRatio)}× the primary`;
    }
    return maxRatio !== undefined
      ? `<= ${formatValue(maxRatio)}× the primary`
      : `>= ${formatValue(minRatio as number)}× the primary`;
  }
  const { min, max } = metric.thresholdRange ?? {};
  if (min !== undefined && max !== undefined) return `${formatValue(min)}..${formatValue(max)}`;
  return min !== undefined ? `>= ${formatValue(min)}` : `<= ${formatValue(max as number)}`;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
