import { z } from 'zod';
import { parseCondition } from '../analysis/condition.js';
import { PLACEHOLDERS, placeholderProblem } from '../analysis/placeholders.js';
import { MIN_SAMPLES } from '../analysis/plan.js';
import { Duration } from './duration.js';

/**
 * How a deployment is judged by its metrics: `strategy` (rolling, or a canary walked through
 * traffic weights with an analysis at each step) and `verify` (the same analysis for a few
 * intervals after any driver's rollout). Both sit on a service's environment entry, beside
 * its driver: a canary is a property of one service in one place, and the queries name that
 * service's metrics.
 */

const Query = z
  .string()
  .min(1)
  .superRefine((query, ctx) => {
    const problem = placeholderProblem(query);
    if (problem)
      ctx.addIssue({ code: 'custom', message: problem.message, params: { fix: problem.fix } });
  });

const MinSamples = Query.superRefine((text, ctx) => {
  if (MIN_SAMPLES.test(text)) return;
  ctx.addIssue({
    code: 'custom',
    message: 'minSamples does not end with ">= <number>"',
    params: {
      fix: 'write the query that counts requests and the least count, e.g. \'sum(increase(http_requests_total{app="{canary}"}[{interval}])) >= 50\'',
    },
  });
});

const ThresholdRange = z
  .object({
    min: z.number().optional().describe('The least value that passes.'),
    max: z.number().optional().describe('The greatest value that passes.'),
  })
  .strict()
  .superRefine((range, ctx) => {
    if (range.min === undefined && range.max === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'thresholdRange sets neither min nor max',
        params: { fix: 'write "{ min: 0.95 }", "{ max: 500 }" or both' },
      });
    } else if (range.min !== undefined && range.max !== undefined && range.min > range.max) {
      ctx.addIssue({
        code: 'custom',
        message: `min ${range.min} is above max ${range.max}, so nothing could pass`,
        params: { fix: 'swap them' },
      });
    }
  })
  .describe("Flagger's shape: the value must lie within [min, max].");

const SuccessCondition = z
  .string()
  .superRefine((text, ctx) => {
    const parsed = parseCondition(text);
    if (parsed.ok) return;
    ctx.addIssue({
      code: 'custom',
      message: `successCondition: ${parsed.message} at column ${parsed.column}`,
      params: {
        fix: 'compare result (or result[0], result[1] …) with numbers, joined by and/or: "result >= 0.95", "result[0] < 500 and result[1] < 500"',
      },
    });
  })
  .describe(
    "Argo Rollouts' shape: comparisons of result or result[i] with numbers, joined by and, or, not and parentheses.",
  );

const Metric = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "-", "_" and "."')
      .describe('Shown in chat with its value: "success-rate 0.88 < 0.95".'),
    query: Query.describe('PromQL returning one value (or a vector, for result[i]).'),
    thresholdRange: ThresholdRange.optional(),
    successCondition: SuccessCondition.optional(),
    baseline: Query.optional().describe(
      "The same query for the primary: the canary's value is compared with its value.",
    ),
    maxRatio: z
      .number()
      .positive()
      .optional()
      .describe("With baseline: the canary's value may be at most this times the primary's."),
    minRatio: z
      .number()
      .positive()
      .optional()
      .describe("With baseline: the canary's value must be at least this times the primary's."),
  })
  .strict()
  .superRefine((metric, ctx) => {
    const forms = [
      metric.thresholdRange && 'thresholdRange',
      metric.successCondition !== undefined && 'successCondition',
      metric.baseline !== undefined && 'baseline',
    ].filter((form): form is string => typeof form === 'string');
    if (forms.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          forms.length === 0
            ? `metric "${metric.name}" has no threshold, so it could never fail`
            : `metric "${metric.name}" sets both ${forms.join(' and ')}`,
        params: {
          fix: 'give it exactly one of thresholdRange: { min, max }, successCondition: "result >= 0.95", or baseline with maxRatio/minRatio',
        },
      });
    }
    const ratios = metric.maxRatio !== undefined || metric.minRatio !== undefined;
    if (metric.baseline !== undefined && !ratios) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseline'],
        message: `metric "${metric.name}" has a baseline but no ratio to hold it to`,
        params: { fix: 'add maxRatio: 1.2 (at most 1.2 × the primary) and/or minRatio' },
      });
    }
    if (metric.baseline === undefined && ratios) {
      ctx.addIssue({
        code: 'custom',
        path: [metric.maxRatio !== undefined ? 'maxRatio' : 'minRatio'],
        message: 'a ratio needs a baseline query to compare with',
        params: { fix: 'add baseline: the same query for the primary ({primary})' },
      });
    }
  });
export type Metric = z.infer<typeof Metric>;

const Limit = z.number().int().min(0);

const AnalysisFields = z
  .object({
    prometheus: z
      .object({
        url: z
          .string()
          .superRefine((url, ctx) => {
            const problem = urlProblem(url);
            if (problem)
              ctx.addIssue({
                code: 'custom',
                message: problem.message,
                params: { fix: problem.fix },
              });
          })
          .describe(
            'e.g. http://prometheus.monitoring:9090. The token comes from PROMETHEUS_TOKEN.',
          ),
      })
      .strict()
      .optional()
      .describe('Where to query. Omitted: PROMETHEUS_URL.'),
    interval: Duration.optional().describe(
      'How often a check runs, and what {interval} is in the queries. Default 1m.',
    ),
    minSamples: MinSamples.optional().describe(
      'A query and the least value it must return ("… >= 50") before the metrics are judged; below it a check is inconclusive, never failed.',
    ),
    failureLimit: Limit.optional().describe(
      'Failed checks tolerated: the analysis aborts when failures exceed it (as Argo Rollouts). Default 0: the first failure aborts.',
    ),
    inconclusiveLimit: Limit.optional().describe(
      'Inconclusive checks tolerated before Slipway pauses and asks in chat. Default 2.',
    ),
    consecutiveErrorLimit: Limit.optional().describe(
      'Checks in a row that may error (Prometheus unreachable, a bad answer) before the analysis aborts. Default 4.',
    ),
    metrics: z.array(Metric).min(1),
  })
  .strict();

export const Analysis = AnalysisFields.superRefine((analysis, ctx) => {
  const seen = new Set<string>();
  analysis.metrics.forEach((metric, index) => {
    if (seen.has(metric.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', index, 'name'],
        message: `metric "${metric.name}" is listed twice`,
        params: {
          fix: 'give each metric its own name: chat and the history tell them apart by it',
        },
      });
    }
    seen.add(metric.name);
  });
}).describe('Metric checks run against Prometheus, one per interval.');
export type Analysis = z.infer<typeof Analysis>;

/** An analysis step: its fields override the canary's analysis (`{analysis: {}}` runs it as is). */
const StepAnalysis = AnalysisFields.partial().strict().nullable();

const Weight = z.number().int().min(1).max(100);

const Step = z.union(
  [
    Weight,
    z.object({ setWeight: Weight.describe('Percent of traffic sent to the canary.') }).strict(),
    z.object({ pause: Duration.describe('How long to hold the current weight.') }).strict(),
    z
      .object({
        analysis: StepAnalysis.describe(
          "Run the canary's analysis here until one check passes; fields given override it.",
        ),
      })
      .strict(),
  ],
  {
    error: 'write a weight (5), or one of {setWeight: 5}, {pause: 2m}, {analysis: {}}',
  },
);
export type CanaryStepInput = z.infer<typeof Step>;

const Canary = z
  .object({
    steps: z
      .array(Step)
      .min(1)
      .describe(
        'Traffic weights ([5, 25, 50, 100]: each held until a check passes), or steps: {setWeight: 5}, {pause: 2m}, {analysis: {}}.',
      ),
    interval: Duration.optional().describe(
      "How long each weight is held before it is checked (and {interval}). Default: the analysis's interval, else 1m.",
    ),
    analysis: Analysis.optional(),
  })
  .strict()
  .superRefine((canary, ctx) => {
    for (const issue of canaryProblems(canary)) ctx.addIssue({ code: 'custom', ...issue });
  });
export type Canary = z.infer<typeof Canary>;

export const Strategy = z
  .union([z.literal('rolling'), z.object({ canary: Canary }).strict()], {
    error: 'write "rolling", or "canary:" with steps, interval and analysis under it',
  })
  .describe(
    'rolling (default: the driver rolls the new version out) or { canary: { steps, interval, analysis } }.',
  );
export type Strategy = z.infer<typeof Strategy>;

/** After the rollout there is one version live: nothing to split, nothing to compare with. */
const VERIFY_PLACEHOLDERS = PLACEHOLDERS.filter((name) => name !== 'canary' && name !== 'primary');

export const Verify = z
  .object({
    analysis: Analysis,
    intervals: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('Passing checks needed, one per interval. Default 1.'),
  })
  .strict()
  .superRefine((verify, ctx) => {
    for (const { path, query } of queriesOf(verify.analysis)) {
      // Unknown names are the query's own refusal; here only those a verification lacks.
      if (placeholderProblem(query)) continue;
      const problem = placeholderProblem(query, VERIFY_PLACEHOLDERS);
      if (!problem) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['analysis', ...path],
        message: `${problem.message}: verification runs after the rollout, when only the new version is live`,
        params: {
          fix: `select by {service} and {version}; ${problem.fix}`,
        },
      });
    }
  })
  .describe('Run the analysis after the rollout, on any driver; a failure rolls back.');
export type Verify = z.infer<typeof Verify>;

/** The keys an environment entry of a service adds beside `driver` and `options`. */
export const Delivery = z.object({
  strategy: Strategy.optional(),
  verify: Verify.optional(),
});

function canaryProblems(canary: {
  steps: CanaryStepInput[];
  interval?: string;
  analysis?: Analysis;
}): { path: (string | number)[]; message: string; params: { fix: string } }[] {
  const problems: { path: (string | number)[]; message: string; params: { fix: string } }[] = [];
  const numbers = canary.steps.filter((step) => typeof step === 'number').length;
  if (numbers > 0 && numbers < canary.steps.length) {
    problems.push({
      path: ['steps'],
      message: 'steps mixes weights and step objects',
      params: {
        fix: 'write either weights ([5, 25, 50, 100]) or step objects ([{setWeight: 5}, {pause: 2m}, …])',
      },
    });
    return problems;
  }
  const weights = canary.steps.map((step) =>
    typeof step === 'number' ? step : 'setWeight' in step ? step.setWeight : null,
  );
  // A weight outside 1..100 is refused where it stands; its order would only repeat that.
  if (weights.some((w) => w !== null && !(Number.isInteger(w) && w >= 1 && w <= 100))) {
    return problems;
  }
  let previous = 0;
  let last: number | null = null;
  canary.steps.forEach((step, index) => {
    const weight = weights[index] ?? null;
    if (weight === null) return;
    if (weight <= previous) {
      problems.push({
        path: typeof step === 'number' ? ['steps', index] : ['steps', index, 'setWeight'],
        message: `weight ${weight} does not rise above the one before it (${previous})`,
        params: { fix: 'list weights that only rise, ending at 100, e.g. [5, 25, 50, 100]' },
      });
    }
    previous = Math.max(previous, weight);
    last = weight;
  });
  if (last !== 100) {
    problems.push({
      path: ['steps'],
      message:
        last === null
          ? 'steps never send traffic to the canary'
          : `the last weight is ${last}, not 100`,
      params: { fix: 'end the weights at 100: the canary takes all traffic, then is promoted' },
    });
  }
  if (canary.interval !== undefined && canary.analysis?.interval !== undefined) {
    problems.push({
      path: ['interval'],
      message: 'interval is set both here and in analysis',
      params: { fix: 'keep one of them' },
    });
  }
  canary.steps.forEach((step, index) => {
    if (typeof step !== 'object' || !('analysis' in step)) return;
    if (canary.analysis || step.analysis?.metrics) return;
    problems.push({
      path: ['steps', index, 'analysis'],
      message: 'this analysis step has no metrics, and the canary has no analysis to run',
      params: { fix: 'add analysis: { metrics: [...] } to the canary, or metrics to this step' },
    });
  });
  return problems;
}

function urlProblem(url: string): { message: string; fix: string } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { message: `"${url}" is not a URL`, fix: 'write http://prometheus:9090 or https://…' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { message: `"${url}" is not an http(s) URL`, fix: 'write http://… or https://…' };
  }
  if (parsed.username || parsed.password) {
    return {
      message: 'the Prometheus URL carries credentials',
      fix: 'remove them: Slipway sends PROMETHEUS_TOKEN (or the file PROMETHEUS_TOKEN_FILE names) as a bearer token',
    };
  }
  return null;
}

/** Every query an analysis sends, with its path inside the analysis. */
export function queriesOf(
  analysis: Partial<Pick<Analysis, 'minSamples' | 'metrics'>>,
): { path: (string | number)[]; query: string }[] {
  const queries: { path: (string | number)[]; query: string }[] = [];
  if (analysis.minSamples !== undefined) {
    // Refinements also run over invalid input: a minSamples without its bar is still a query.
    const query = MIN_SAMPLES.exec(analysis.minSamples)?.[1] ?? analysis.minSamples;
    queries.push({ path: ['minSamples'], query });
  }
  (analysis.metrics ?? []).forEach((metric, index) => {
    queries.push({ path: ['metrics', index, 'query'], query: metric.query });
    if (metric.baseline !== undefined)
      queries.push({ path: ['metrics', index, 'baseline'], query: metric.baseline });
  });
  return queries;
}
