import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { batchOptionsFromEnv, samplerFromEnv, spanLimitsFromEnv } from './tracing-env.js';

/** A logger that keeps what was warned, to show that a bad value is reported, not swallowed. */
function recordingLog() {
  const lines: { msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: createLogger({}, sink), messages: () => lines.map((l) => l.msg) };
}

describe('samplerFromEnv', () => {
  it('samples every new trace and follows the parent by default, as the SDK did', () => {
    expect(samplerFromEnv({}).toString()).toBe(
      'ParentBased{root=AlwaysOnSampler, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}',
    );
  });

  it('builds each standard sampler, with the ratio from OTEL_TRACES_SAMPLER_ARG', () => {
    const named = (name: string, arg?: string) =>
      samplerFromEnv({
        OTEL_TRACES_SAMPLER: name,
        ...(arg === undefined ? {} : { OTEL_TRACES_SAMPLER_ARG: arg }),
      }).toString();
    expect(named('always_on')).toBe('AlwaysOnSampler');
    expect(named(' ALWAYS_OFF ')).toBe('AlwaysOffSampler');
    expect(named('traceidratio', '0.25')).toBe('TraceIdRatioBased{0.25}');
    expect(named('traceidratio')).toBe('TraceIdRatioBased{1}');
    expect(named('parentbased_always_off')).toMatch(/^ParentBased\{root=AlwaysOffSampler,/);
    expect(named('parentbased_traceidratio', '0')).toMatch(
      /^ParentBased\{root=TraceIdRatioBased\{0\},/,
    );
  });

  it('warns and falls back to the default for an unknown sampler or a bad ratio', () => {
    const { log, messages } = recordingLog();
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, log).toString()).toMatch(
      /^ParentBased\{root=AlwaysOnSampler,/,
    );
    expect(
      samplerFromEnv(
        { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '5' },
        log,
      ).toString(),
    ).toBe('TraceIdRatioBased{1}');
    expect(messages()).toEqual([
      'OTEL_TRACES_SAMPLER: unknown sampler, sampling as parentbased_always_on',
      'OTEL_TRACES_SAMPLER_ARG: not a ratio between 0 and 1, sampling every trace',
    ]);
  });
});

describe('spanLimitsFromEnv and batchOptionsFromEnv', () => {
  it('leaves the SDK defaults when nothing is set', () => {
    expect(spanLimitsFromEnv({})).toEqual({});
    expect(batchOptionsFromEnv({})).toEqual({});
  });

  it('reads the span limits, the span ones before the general ones', () => {
    expect(
      spanLimitsFromEnv({
        OTEL_ATTRIBUTE_COUNT_LIMIT: '64',
        OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '32',
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4096',
        OTEL_SPAN_EVENT_COUNT_LIMIT: '10',
        OTEL_SPAN_LINK_COUNT_LIMIT: '0',
        OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '8',
        OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '4',
      }),
    ).toEqual({
      attributeCountLimit: 32,
      attributeValueLengthLimit: 4096,
      eventCountLimit: 10,
      linkCountLimit: 0,
      attributePerEventCountLimit: 8,
      attributePerLinkCountLimit: 4,
    });
  });

  it('reads the batch settings and skips, with a warning, what is no whole number', () => {
    const { log, messages } = recordingLog();
    expect(
      batchOptionsFromEnv(
        {
          OTEL_BSP_SCHEDULE_DELAY: '1000',
          OTEL_BSP_EXPORT_TIMEOUT: '10s',
          OTEL_BSP_MAX_QUEUE_SIZE: ' 4096 ',
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '-1',
        },
        log,
      ),
    ).toEqual({ scheduledDelayMillis: 1000, maxQueueSize: 4096 });
    expect(messages()).toEqual([
      'OpenTelemetry setting ignored: not a whole number',
      'OpenTelemetry setting ignored: not a whole number',
    ]);
  });
});
