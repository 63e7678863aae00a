import { z } from 'zod';

/**
 * Alertmanager's webhook payload, version 4
 * (prometheus.io/docs/alerting/latest/configuration/#webhook_config). Unknown fields are
 * ignored, so a newer Alertmanager adding some still gets through; a different `version` is
 * refused, since its meaning may have changed.
 */

const Labels = z.record(z.string(), z.string());

/** Go's RFC 3339 times, with nanoseconds and offsets; a firing alert's endsAt may be year 1. */
const Time = z
  .string()
  .refine((text) => !Number.isNaN(Date.parse(text)), 'must be an RFC 3339 time');

export const AlertStatus = z.enum(['firing', 'resolved']);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const Alert = z.object({
  status: AlertStatus,
  labels: Labels,
  annotations: Labels.default({}),
  startsAt: Time,
  endsAt: Time.optional(),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1).max(200),
});
export type Alert = z.infer<typeof Alert>;

export const Notification = z.object({
  version: z.literal('4', { error: 'version must be "4" (Alertmanager 0.16 and later)' }),
  groupKey: z.string().min(1).max(10_000),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: AlertStatus,
  receiver: z.string(),
  groupLabels: Labels.default({}),
  commonLabels: Labels.default({}),
  commonAnnotations: Labels.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(Alert).min(1).max(10_000),
});
export type Notification = z.infer<typeof Notification>;

/** One alert of a group, as Slipway keeps it (the latest that was heard of it). */
export const StoredAlert = z.object({
  fingerprint: z.string(),
  status: AlertStatus,
  labels: Labels,
  annotations: Labels,
  startsAt: z.string(),
  endsAt: z.string().nullable(),
  generatorURL: z.string(),
});
export type StoredAlert = z.infer<typeof StoredAlert>;

/** Why Slipway did, or did not, roll back on its own (`alerts.autoRollback`). */
export const AutoRollback = z.object({
  deploymentId: z.string().nullable(),
  refused: z.string().nullable(),
});
export type AutoRollback = z.infer<typeof AutoRollback>;

/** An alert group as stored in `alert_groups.state`: read back through this schema. */
export const GroupState = z.object({
  receiver: z.string(),
  externalURL: z.string(),
  groupLabels: Labels,
  commonLabels: Labels,
  truncatedAlerts: z.number().int().min(0),
  alerts: z.array(StoredAlert),
  /** Alerts left out of `alerts` to keep the row small (the oldest resolved ones). */
  dropped: z.number().int().min(0),
  autoRollback: AutoRollback.nullable(),
});
export type GroupState = z.infer<typeof GroupState>;

/** The problems of a refused payload, one line each, for the 400 answer and the log. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
    .join('; ');
}
