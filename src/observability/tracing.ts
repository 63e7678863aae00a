import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  DiagLogLevel,
  diag,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { Deployment } from '../core/deployment.js';
import { batchOptionsFromEnv, samplerFromEnv, spanLimitsFromEnv } from './tracing-env.js';

/** Span attributes every span of a deployment carries (README.md, "Observability"). */
export const ATTR_DEPLOYMENT_ID = 'slipway.deployment_id';
export const ATTR_CORRELATION_ID = 'slipway.correlation_id';

const TRACER_NAME = 'slipway';

export interface Tracing {
  /** Whether spans are recorded and exported; false: the API's no-op tracer, which costs nothing. */
  readonly enabled: boolean;
  /** Exports the spans still buffered and unregisters the SDK; safe to call twice. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  log?: Logger;
  /** Export here, span by span, instead of over OTLP (tests: an InMemorySpanExporter). */
  exporter?: SpanExporter;
}

const OFF: Tracing = { enabled: false, shutdown: async () => {} };

/**
 * Registers the OpenTelemetry SDK when the standard variables ask for it
 * (opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables): on when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, unless
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. The sampler, span limits and batch
 * settings come from `env` (tracing-env.ts); the OTLP (http/protobuf) exporter reads the rest of
 * its settings (headers, timeout, certificates) from the process environment itself. Otherwise
 * nothing is registered and every span below is the API's no-op.
 */
export function startTracing(
  env: NodeJS.ProcessEnv = process.env,
  options: TracingOptions = {},
): Tracing {
  const { log } = options;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return OFF;
  let exporter = options.exporter;
  if (!exporter) {
    const exporters = (env.OTEL_TRACES_EXPORTER || 'otlp').split(',').map((e) => e.trim());
    const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
    if (exporters.includes('none') || !endpoint) return OFF;
    const unsupported = exporters.filter((e) => e !== 'otlp' && e !== '');
    if (unsupported.length > 0)
      log?.warn({ unsupported }, 'OTEL_TRACES_EXPORTER: only otlp (or none) is supported here');
    exporter = new OTLPTraceExporter();
    log?.info({ endpoint }, 'tracing on: exporting spans over OTLP');
  }
  const provider = new TracerProvider({
    resource: defaultResource().merge(resourceFromAttributes(resourceAttributes(env, log))),
    sampler: samplerFromEnv(env, log),
    spanLimits: spanLimitsFromEnv(env, log),
    spanProcessors: [
      options.exporter
        ? new SimpleSpanProcessor({ exporter })
        : new BatchSpanProcessor({ exporter, ...batchOptionsFromEnv(env, log) }),
    ],
  });
  register(provider);
  // Export failures are otherwise silent.
  if (log) diag.setLogger(diagLogger(log), DiagLogLevel.WARN);
  let stopping: Promise<void> | null = null;
  return {
    enabled: true,
    shutdown() {
      stopping ??= provider
        .shutdown()
        .catch((err: unknown) => log?.warn({ err }, 'could not export the last spans'))
        .finally(() => {
          trace.disable();
          context.disable();
          propagation.disable();
          diag.disable();
        });
      return stopping;
    },
  };
}

/**
 * What the SDK 2 `NodeTracerProvider.register()` did, which SDK 3 leaves to the caller: the
 * global tracer provider, AsyncLocalStorage as the context manager (spans follow async calls),
 * and W3C Trace Context and Baggage as the propagators.
 */
function register(provider: TracerProvider): void {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
}

/** `OTEL_SERVICE_NAME` (default `slipway`) and `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`, percent-encoded). */
export function resourceAttributes(env: NodeJS.ProcessEnv, log?: Logger): Attributes {
  const attributes: Attributes = {};
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at).trim() : '';
    try {
      if (!key) throw new Error('no key');
      attributes[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      log?.warn({ pair }, 'OTEL_RESOURCE_ATTRIBUTES: ignored an entry that is not key=value');
    }
  }
  attributes[ATTR_SERVICE_NAME] =
    env.OTEL_SERVICE_NAME?.trim() || attributes[ATTR_SERVICE_NAME] || 'slipway';
  return attributes;
}

export interface SpanOptions {
  attributes?: Attributes;
  kind?: SpanKind;
  /** Default: the active context. */
  parent?: Context;
}

/**
 * Runs `fn` in a new active span, ended when `fn` returns or its promise settles; a throw or a
 * rejection marks the span as failed. Spans in a deployment's context (`withDeployment`) carry
 * its id and correlation id. Without an SDK this is a few no-op calls.
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => T): T {
  const parent = options.parent ?? context.active();
  const span = trace.getTracer(TRACER_NAME).startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: {
        ...(parent.getValue(DEPLOYMENT_KEY) as Attributes | undefined),
        ...options.attributes,
      },
    },
    parent,
  );
  let result: T;
  try {
    result = context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (err) {
    failSpan(span, err);
    span.end();
    throw err;
  }
  if (!(result instanceof Promise)) {
    span.end();
    return result;
  }
  return result.then(
    (value: unknown) => {
      span.end();
      return value;
    },
    (err: unknown) => {
      failSpan(span, err);
      span.end();
      throw err;
    },
  ) as T;
}

export function failSpan(span: Span, err: unknown): void {
  if (err instanceof Error) span.recordException(err);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: err instanceof Error ? err.message : String(err),
  });
}

/** Whether a span is active (and real): chat calls outside any deployment's trace make no spans. */
export function hasActiveSpan(ctx: Context = context.active()): boolean {
  const span = trace.getSpan(ctx);
  return span !== undefined && isSpanContextValid(span.spanContext());
}

const DEPLOYMENT_KEY = createContextKey('slipway.deployment');

/** The attributes that tie a span to a deployment, and describe it. */
export function deploymentAttributes(d: Deployment): Attributes {
  return {
    [ATTR_DEPLOYMENT_ID]: d.id,
    [ATTR_CORRELATION_ID]: d.correlationId,
    'slipway.service': d.service,
    'slipway.environment': d.environment,
    'slipway.version': d.version,
    'slipway.kind': d.kind,
  };
}

/** `ctx`, marked as belonging to `d`: spans started in it carry the deployment's id. */
export function withDeployment(ctx: Context, d: Pick<Deployment, 'id' | 'correlationId'>): Context {
  return ctx.setValue(DEPLOYMENT_KEY, {
    [ATTR_DEPLOYMENT_ID]: d.id,
    [ATTR_CORRELATION_ID]: d.correlationId,
  });
}

// The stored form is W3C Trace Context whatever OTEL_PROPAGATORS says: it is a database column.
const w3c = new W3CTraceContextPropagator();
const textMap = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

/** The `traceparent` of the active span, to store with a deployment; null without a real span. */
export function traceParentOf(ctx: Context = context.active()): string | null {
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, textMap);
  return carrier.traceparent ?? null;
}

/** A context whose parent is the stored `traceparent` (ROOT_CONTEXT when there is none). */
export function contextOfTraceParent(traceParent: string | null | undefined): Context {
  if (!traceParent) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, { traceparent: traceParent }, textMap);
}

/**
 * The context work for `d` belongs in: the active one when it is in the deployment's trace
 * (finer parents: the run, a driver call), else the deployment's stored trace. Engine events
 * can be emitted from a context that belongs to another request (the worker's loop is woken by
 * whichever request came last), so the active span alone cannot be trusted.
 */
export function deploymentContext(d: Deployment): Context {
  const stored = contextOfTraceParent(d.traceParent);
  const active = context.active();
  const activeTrace = trace.getSpan(active)?.spanContext().traceId;
  const storedTrace = trace.getSpan(stored)?.spanContext().traceId;
  const base = activeTrace !== undefined && activeTrace === storedTrace ? active : stored;
  return withDeployment(base, d);
}

function diagLogger(log: Logger) {
  const child = log.child({ component: 'opentelemetry' });
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, ...args: unknown[]) =>
      child[level]({ detail: [message, ...args.map(String)].join(' ') }, 'opentelemetry');
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    verbose: at('debug'),
  };
}
