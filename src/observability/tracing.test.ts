import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import {
  contextOfTraceParent,
  inSpan,
  resourceAttributes,
  startTracing,
  traceParentOf,
} from './tracing.js';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

describe('startTracing', () => {
  it('stays off without an OTLP endpoint, and when the standard variables say off', async () => {
    for (const env of [
      {},
      { OTEL_SERVICE_NAME: 'slipway' },
      { ...ENDPOINT, OTEL_SDK_DISABLED: 'true' },
      { ...ENDPOINT, OTEL_SDK_DISABLED: ' TRUE ' },
      { ...ENDPOINT, OTEL_TRACES_EXPORTER: 'none' },
      {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:4318/v1/traces',
        OTEL_TRACES_EXPORTER: 'none',
      },
    ]) {
      const tracing = startTracing(env);
      expect({ env, enabled: tracing.enabled }).toEqual({ env, enabled: false });
      await tracing.shutdown();
    }
    // Nothing was registered: spans are the API's no-op ones.
    inSpan('noop', {}, (span) => expect(span.isRecording()).toBe(false));
  });

  it('registers the SDK when an endpoint is set, and unregisters it on shutdown', async () => {
    for (const env of [
      ENDPOINT,
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' },
      { ...ENDPOINT, OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' },
    ]) {
      const tracing = startTracing(env);
      expect(tracing.enabled).toBe(true);
      const parent = inSpan('test.parent', {}, (span) => {
        expect(span.isRecording()).toBe(true);
        return traceParentOf();
      });
      expect(parent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      await tracing.shutdown();
      await tracing.shutdown();
      inSpan('after', {}, (span) => expect(span.isRecording()).toBe(false));
    }
  });

  it('samples as the env it is given says, and follows spans across awaits', async () => {
    const none = new InMemorySpanExporter();
    const off = startTracing({ OTEL_TRACES_SAMPLER: 'always_off' }, { exporter: none });
    inSpan('unsampled', {}, (span) => expect(span.isRecording()).toBe(false));
    expect(none.getFinishedSpans()).toEqual([]);
    await off.shutdown();

    // Shutting a provider down shuts its exporter: a fresh one for the second SDK.
    const exporter = new InMemorySpanExporter();
    const on = startTracing({}, { exporter });
    await inSpan('parent', {}, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      inSpan('child', {}, () => {});
    });
    const [child, parent] = exporter.getFinishedSpans();
    expect([child?.name, parent?.name]).toEqual(['child', 'parent']);
    expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    await on.shutdown();
  });
});

describe('resourceAttributes', () => {
  it('names the service slipway unless OTEL_SERVICE_NAME or the attributes say otherwise', () => {
    expect(resourceAttributes({})).toEqual({ 'service.name': 'slipway' });
    expect(
      resourceAttributes({
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=sre%20team, ,broken,=x',
      }),
    ).toEqual({
      'service.name': 'slipway',
      'deployment.environment': 'prod',
      team: 'sre team',
    });
    expect(resourceAttributes({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' })).toEqual({
      'service.name': 'from-attrs',
    });
    expect(
      resourceAttributes({
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs',
        OTEL_SERVICE_NAME: 'slipway-eu',
      }),
    ).toEqual({ 'service.name': 'slipway-eu' });
  });
});

describe('stored trace context', () => {
  it('is null without a real span, and a stored traceparent becomes the parent again', () => {
    expect(traceParentOf()).toBeNull();
    const stored = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const ctx = contextOfTraceParent(stored);
    expect(trace.getSpanContext(ctx)).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      isRemote: true,
    });
    expect(traceParentOf(ctx)).toBe(stored);
    expect(trace.getSpan(contextOfTraceParent(null))).toBeUndefined();
    expect(trace.getSpan(contextOfTraceParent('garbage'))).toBeUndefined();
  });

  it('ends the span and passes errors through, sync and async', async () => {
    expect(() =>
      inSpan('boom', {}, () => {
        throw new Error('sync');
      }),
    ).toThrow('sync');
    await expect(
      inSpan('boom', {}, async () => Promise.reject(new Error('async'))),
    ).rejects.toThrow('async');
    expect(inSpan('value', {}, () => 42)).toBe(42);
  });
});
