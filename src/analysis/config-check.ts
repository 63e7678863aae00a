import { type Analysis, queriesOf } from '../config/analysis.js';
import type { RawIssue } from '../config/issues.js';
import type { PathSegment } from '../config/locate.js';
import { bindingOf } from '../config/lookup.js';
import type { Config } from '../config/schema.js';
import { secretFrom } from '../core/secrets.js';
import { expandQuery, type PlaceholderValues, promDuration } from './placeholders.js';
import { analysisPlan } from './plan.js';
import { createPrometheusClient, PrometheusError } from './prometheus/client.js';
import { writtenPosition } from './query-error.js';

/** An analysis as written in the config, where it is, and what its queries are filled with. */
interface AnalysisAt {
  path: PathSegment[];
  analysis: Partial<Analysis>;
  url: string | null;
  values: PlaceholderValues;
}

export interface QueryCheckOptions {
  env?: NodeJS.ProcessEnv;
  /** Per query. Default 5 s: a check at a terminal should not hang on a dead address. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * `slipway config check`'s second pass: sends every analysis query, its placeholders filled
 * with sample values, to the Prometheus it would run against, so a query Prometheus cannot
 * parse is refused now with Prometheus' own message and position, not at the first canary.
 * A Prometheus that cannot be reached (from where the check runs) is a warning, as is one
 * that cannot be named: the server may reach what this shell does not.
 */
export async function checkAnalysisQueries(
  config: Config,
  options: QueryCheckOptions = {},
): Promise<{ errors: RawIssue[]; warnings: RawIssue[] }> {
  const env = options.env ?? process.env;
  const errors: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  const byUrl = new Map<string, AnalysisAt[]>();
  for (const found of analysesIn(config, env.PROMETHEUS_URL?.trim() || null)) {
    if (found.url === null) {
      warnings.push({
        path: [...found.path, 'metrics'],
        message: 'these queries were not checked: no Prometheus URL',
        fix: 'set prometheus.url in this analysis, or PROMETHEUS_URL where you run the check',
      });
      continue;
    }
    byUrl.set(found.url, [...(byUrl.get(found.url) ?? []), found]);
  }
  let token: string | undefined;
  try {
    token = secretFrom(env, 'PROMETHEUS_TOKEN');
  } catch (err) {
    warnings.push({
      path: [],
      message: (err as Error).message,
      fix: 'queries are sent without a token',
    });
  }
  for (const [url, analyses] of byUrl) {
    const client = createPrometheusClient({
      url,
      ...(token ? { token } : {}),
      timeoutMs: options.timeoutMs ?? 5_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    const checked = await checkAgainst(client, analyses);
    errors.push(...checked.errors);
    warnings.push(...checked.warnings);
  }
  return { errors, warnings };
}

async function checkAgainst(
  client: ReturnType<typeof createPrometheusClient>,
  analyses: AnalysisAt[],
): Promise<{ errors: RawIssue[]; warnings: RawIssue[] }> {
  const errors: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  for (const { path, analysis, values } of analyses) {
    for (const { path: inner, query } of queriesOf(analysis)) {
      const at = [...path, ...inner];
      let expanded: ReturnType<typeof expandQuery>;
      try {
        expanded = expandQuery(query, values);
      } catch {
        // The schema has refused its placeholders already, at this very place.
        continue;
      }
      try {
        await client.query(expanded.text);
      } catch (err) {
        if (!(err instanceof PrometheusError)) throw err;
        if (err.kind === 'unreachable' || err.kind === 'timeout' || err.kind === 'http') {
          warnings.push({
            path: [...path, 'metrics'],
            message: `queries not checked: ${err.message}`,
            fix: `check the URL, or run slipway config check where ${client.url} can be reached`,
          });
          return { errors, warnings };
        }
        errors.push(refusal(err, at, query, expanded));
      }
    }
  }
  return { errors, warnings };
}

function refusal(
  err: PrometheusError,
  path: PathSegment[],
  query: string,
  expanded: ReturnType<typeof expandQuery>,
): RawIssue {
  const said = err.message.replace(
    /^Prometheus refused the query: (invalid parameter "query": )?/,
    '',
  );
  if (err.kind === 'response') {
    return {
      path,
      message: `this query cannot be judged: ${said}`,
      fix: 'make it return one number (or an instant vector, for result[i])',
    };
  }
  const message = `Prometheus refuses this query: ${said}`;
  const position = writtenPosition(err.message, expanded, query);
  if (!position) return { path, message, fix: 'correct the PromQL' };
  const where = query.includes('\n')
    ? `line ${position.line}, column ${position.column}`
    : `column ${position.column}`;
  return {
    path,
    message,
    fix: `correct the PromQL at ${where} of the query as written: ${marked(query, position)}`,
  };
}

/**
 * The line of the query with ⟨here⟩ where Prometheus points: at the token for some errors,
 * just after it for "unexpected …" ones, so the marker goes between characters.
 */
function marked(query: string, position: { line: number; column: number }): string {
  const line = query.split('\n')[position.line - 1] ?? '';
  const at = Math.min(position.column - 1, line.length);
  const before = line.slice(Math.max(0, at - 40), at).trimStart();
  const after = line.slice(at, at + 20);
  return `${at > 40 ? '…' : ''}${before}⟨here⟩${after}${at + 20 < line.length ? '…' : ''}`;
}

/** Every analysis in the config, with the URL it would query and sample placeholder values. */
function analysesIn(config: Config, envUrl: string | null): AnalysisAt[] {
  const found: AnalysisAt[] = [];
  config.services.forEach((service, index) => {
    for (const [environment, entry] of Object.entries(service.environments)) {
      const base: PathSegment[] = ['services', index, 'environments', environment];
      const options = bindingOf(service, environment)?.options ?? {};
      const sample: PlaceholderValues = {
        service: service.name,
        environment,
        namespace: typeof options.namespace === 'string' ? options.namespace : 'default',
        version: '1.0.0',
        previousVersion: '0.9.0',
      };
      const strategy = entry.strategy;
      if (strategy && strategy !== 'rolling') {
        const { canary } = strategy;
        const split = { ...sample, canary: `${service.name}-canary`, primary: service.name };
        const canaryUrl = canary.analysis?.prometheus?.url ?? null;
        const interval = canary.interval ?? canary.analysis?.interval;
        if (canary.analysis) {
          found.push(
            at(
              [...base, 'strategy', 'canary', 'analysis'],
              canary.analysis,
              canaryUrl ?? envUrl,
              split,
              interval,
            ),
          );
        }
        canary.steps.forEach((step, k) => {
          if (typeof step !== 'object' || !('analysis' in step) || !step.analysis) return;
          const own = step.analysis;
          const url = own.prometheus?.url ?? canaryUrl ?? envUrl;
          found.push(
            at(
              [...base, 'strategy', 'canary', 'steps', k, 'analysis'],
              own,
              url,
              split,
              own.interval ?? interval,
            ),
          );
        });
      }
      if (entry.verify) {
        const { analysis } = entry.verify;
        found.push(
          at(
            [...base, 'verify', 'analysis'],
            analysis,
            analysis.prometheus?.url ?? envUrl,
            sample,
            analysis.interval,
          ),
        );
      }
    }
  });
  return found;
}

function at(
  path: PathSegment[],
  analysis: Partial<Analysis>,
  url: string | null,
  values: PlaceholderValues,
  interval: string | undefined,
): AnalysisAt {
  const intervalMs = analysisPlan({ metrics: [], ...(interval ? { interval } : {}) }).intervalMs;
  return { path, analysis, url, values: { ...values, interval: promDuration(intervalMs) } };
}
