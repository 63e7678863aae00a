import {
  type Attributes,
  context,
  DiagLogLevel,
  diag,
  propagation,
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
import { batchOptionsFromEnv, samplerFromEnv, spanLimitsFromEnv } from './tracing-env.js';

// The helpers the rest of Slipway calls live in spans.ts, on the API alone; this file wires
// the SDK behind them.
export * from './spans.js';

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
