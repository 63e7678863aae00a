import { z } from 'zod';
import { DEPLOYMENT_STATES } from '../core/deployment.js';

const date = z
  .string()
  .refine(
    (text) => !Number.isNaN(Date.parse(text)),
    'use an ISO 8601 time such as 2026-11-22T10:00:00Z',
  )
  .transform((text) => new Date(text));

/** Query of `GET /api/deployments`; `state` takes a comma-separated list. */
export const DeploymentsQuery = z
  .object({
    service: z.string().min(1).optional(),
    environment: z.string().min(1).optional(),
    state: z
      .string()
      .transform((text) =>
        text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(DEPLOYMENT_STATES)))
      .optional(),
    requestedBy: z.string().min(1).optional(),
    kind: z.enum(['deploy', 'rollback']).optional(),
    before: date.optional(),
    since: date.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type DeploymentsQuery = z.infer<typeof DeploymentsQuery>;

/** Query of `GET /api/refusals`: the same filters and paging as deployments, by actor. */
export const RefusalsQuery = z
  .object({
    service: z.string().min(1).optional(),
    environment: z.string().min(1).optional(),
    actor: z.string().min(1).optional(),
    before: date.optional(),
    since: date.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type RefusalsQuery = z.infer<typeof RefusalsQuery>;
