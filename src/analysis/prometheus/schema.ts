import { z } from 'zod';

/**
 * Prometheus' answer to `/api/v1/query` (prometheus.io/docs/prometheus/latest/querying/api):
 * an envelope with `status`, and for a success `data.resultType` with its `result`. Sample
 * values are strings because JSON has no NaN or infinities ("NaN", "+Inf", "-Inf").
 */
const SampleValue = z.tuple([z.number(), z.string()]);

const Data = z.discriminatedUnion('resultType', [
  z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: SampleValue })),
  }),
  z.object({ resultType: z.literal('scalar'), result: SampleValue }),
  z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
  z.object({ resultType: z.literal('string'), result: SampleValue }),
]);

export const QueryResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: Data, warnings: z.array(z.string()).optional() }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
export type QueryResponse = z.infer<typeof QueryResponse>;
