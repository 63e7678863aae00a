import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Deployment } from '../core/deployment.js';

/**
 * Span helpers on the OpenTelemetry API alone: without an SDK registered (tracing.ts) they are
 * a few no-op calls, so the engine and chat code can use them freely.
 */

/** Span attributes every span of a deployment carries (README.md, "Observability"). */
export const ATTR_DEPLOYMENT_ID = 'slipway.deployment_id';
export const ATTR_CORRELATION_ID = 'slipway.correlation_id';

const TRACER_NAME = 'slipway';

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

// The stored form is W3C Trace Context (www.w3.org/TR/trace-context/#traceparent-header)
// whatever OTEL_PROPAGATORS says: it is a database column. Written here on the API alone, so
// the engine, which stores and reads it, loads no SDK.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The `traceparent` of the active span, to store with a deployment; null without a real span. */
export function traceParentOf(ctx: Context = context.active()): string | null {
  const span = trace.getSpanContext(ctx);
  if (!span || !isSpanContextValid(span)) return null;
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}

/** A context whose parent is the stored `traceparent` (ROOT_CONTEXT when there is none). */
export function contextOfTraceParent(traceParent: string | null | undefined): Context {
  const match = traceParent ? TRACEPARENT.exec(traceParent.trim()) : null;
  if (!match) return ROOT_CONTEXT;
  const [, traceId = '', spanId = '', flags = '00'] = match;
  const parent = { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
  return isSpanContextValid(parent) ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
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
