import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  type BatchSpanProcessorOptions,
  ParentBasedSampler,
  type Sampler,
  type SpanLimits,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';

/*
 * The trace SDK settings of opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables.
 * From SDK 3 on, the TracerProvider and the BatchSpanProcessor read no environment variable
 * (only the all-in-one `@opentelemetry/sdk-node` does), so Slipway reads them here, from the
 * environment it was given. Unset or unusable values leave the SDK's defaults.
 */

const parentBasedAlwaysOn = () => new ParentBasedSampler({ root: new AlwaysOnSampler() });
const SAMPLERS: Record<string, (ratio: () => number) => Sampler> = {
  always_on: () => new AlwaysOnSampler(),
  always_off: () => new AlwaysOffSampler(),
  traceidratio: (ratio) => new TraceIdRatioBasedSampler(ratio()),
  parentbased_always_on: parentBasedAlwaysOn,
  parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
  parentbased_traceidratio: (ratio) =>
    new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) }),
};

/** `OTEL_TRACES_SAMPLER` (default parentbased_always_on) and its `OTEL_TRACES_SAMPLER_ARG`. */
export function samplerFromEnv(env: NodeJS.ProcessEnv, log?: Logger): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  if (!name) return parentBasedAlwaysOn();
  const make = SAMPLERS[name];
  if (make) return make(() => ratioFromEnv(env, log));
  log?.warn(
    { OTEL_TRACES_SAMPLER: name, supported: Object.keys(SAMPLERS) },
    'OTEL_TRACES_SAMPLER: unknown sampler, sampling as parentbased_always_on',
  );
  return parentBasedAlwaysOn();
}

function ratioFromEnv(env: NodeJS.ProcessEnv, log?: Logger): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (!raw) return 1;
  const ratio = Number(raw);
  if (ratio >= 0 && ratio <= 1) return ratio;
  log?.warn(
    { OTEL_TRACES_SAMPLER_ARG: raw },
    'OTEL_TRACES_SAMPLER_ARG: not a ratio between 0 and 1, sampling every trace',
  );
  return 1;
}

/** Span limits; the general attribute limits apply where the span ones are unset. */
export function spanLimitsFromEnv(env: NodeJS.ProcessEnv, log?: Logger): SpanLimits {
  return numbersFromEnv(env, log, {
    attributeCountLimit: ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
    attributeValueLengthLimit: [
      'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
      'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
    ],
    eventCountLimit: ['OTEL_SPAN_EVENT_COUNT_LIMIT'],
    linkCountLimit: ['OTEL_SPAN_LINK_COUNT_LIMIT'],
    attributePerEventCountLimit: ['OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT'],
    attributePerLinkCountLimit: ['OTEL_LINK_ATTRIBUTE_COUNT_LIMIT'],
  });
}

/** The batch span processor's `OTEL_BSP_*` settings. */
export function batchOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  log?: Logger,
): Omit<BatchSpanProcessorOptions, 'exporter'> {
  return numbersFromEnv(env, log, {
    scheduledDelayMillis: ['OTEL_BSP_SCHEDULE_DELAY'],
    exportTimeoutMillis: ['OTEL_BSP_EXPORT_TIMEOUT'],
    maxQueueSize: ['OTEL_BSP_MAX_QUEUE_SIZE'],
    maxExportBatchSize: ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'],
  });
}

/** Each option from the first of its variables that is set; a value that is no count is skipped. */
function numbersFromEnv<K extends string>(
  env: NodeJS.ProcessEnv,
  log: Logger | undefined,
  variables: Record<K, string[]>,
): Partial<Record<K, number>> {
  const options: Partial<Record<K, number>> = {};
  for (const [option, names] of Object.entries(variables) as [K, string[]][]) {
    for (const name of names) {
      const raw = env[name]?.trim();
      if (!raw) continue;
      const value = Number(raw);
      if (Number.isInteger(value) && value >= 0) {
        options[option] = value;
        break;
      }
      log?.warn({ [name]: raw }, 'OpenTelemetry setting ignored: not a whole number');
    }
  }
  return options;
}
