import { z } from 'zod';
import { parseDuration } from '../core/duration.js';

/**
 * slipway.yaml. Secrets never live here: tokens come from the environment or files
 * (ARCHITECTURE.md, "The external contract").
 */

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const Name = z
  .string()
  .regex(NAME, 'use lowercase letters, digits and dashes (e.g. "web", "payments-api")');

export const Duration = z.string().refine((text) => parseDuration(text) !== null, {
  message: 'write a duration like "30s", "10m", "2h" or "1d"',
});

/**
 * Someone who may act: a chat user id (`U012ABC`), the CLI operator identity, a group name
 * prefixed with `@` (`@qa`), or `*` for everyone.
 */
export const Principal = z.string().min(1);
export const Principals = z.array(Principal);

export const FreezeWindow = z
  .object({
    /** Cron expression (5 fields) for when a freeze starts. */
    cron: z.string().min(9),
    duration: Duration,
    timezone: z.string().default('UTC'),
    reason: z.string().default('change freeze'),
  })
  .strict();
export type FreezeWindow = z.infer<typeof FreezeWindow>;

export const Environment = z
  .object({
    name: Name,
    /** Position in the promotion chain: preview 0 → staging 1 → production 2. */
    order: z.number().int().min(0),
    /** Protected environments default to owners-only deploys and need a named channel. */
    protected: z.boolean().default(false),
    /** Who may deploy here (in addition to the service's owners and admins). */
    deployers: Principals.default(['*']),
    approvals: z
      .object({
        required: z.number().int().min(0).max(10).default(0),
        /** Who may approve; the requester never counts (four-eyes). */
        from: Principals.default([]),
      })
      .strict()
      .default({ required: 0, from: [] }),
    /** Channels that may deploy here; empty means any channel. The CLI is not a channel. */
    channels: z.array(z.string().min(1)).default([]),
    freeze: z.array(FreezeWindow).default([]),
    /** Who may override a freeze with `deploy!` (admins always may). */
    freezeOverride: Principals.default([]),
    /** What a request does when the target is busy: wait in a queue, or be refused. */
    whenBusy: z.enum(['queue', 'reject']).default('queue'),
    /** Roll back automatically when a deployment fails after changing the target. */
    autoRollback: z.boolean().default(true),
    /** How long a deployment may take to become healthy after the driver finished. */
    verifyWindow: Duration.default('30s'),
  })
  .strict();
export type Environment = z.infer<typeof Environment>;

export const DriverBinding = z
  .object({
    driver: z.string().min(1),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type DriverBinding = z.infer<typeof DriverBinding>;

export const Service = z
  .object({
    name: Name,
    /** Image repository (`registry.example.com/web`); deployments set its tag. */
    image: z.string().min(1).optional(),
    owners: Principals.default([]),
    qa: Principals.default([]),
    /** Channel where this service's deployment messages go. */
    channel: z.string().min(1).optional(),
    /** Driver used where an environment does not name its own. */
    driver: DriverBinding.optional(),
    /** Per-environment driver bindings; the service is deployable only to these. */
    environments: z.record(Name, DriverBinding.partial().strict()).default({}),
  })
  .strict();
export type Service = z.infer<typeof Service>;

export const AutoDeployRule = z
  .object({
    /** Service name; omit for every service. */
    service: Name.optional(),
    type: z.enum(['branch', 'tag']),
    /** Glob on the branch or tag name: `*` matches within a path segment, `**` across. */
    pattern: z.string().min(1),
    environment: Name,
  })
  .strict();
export type AutoDeployRule = z.infer<typeof AutoDeployRule>;

export const Config = z
  .object({
    /** Identity the `slipway` CLI acts as; give it rights through groups like anyone else. */
    operator: z.string().min(1).default('operator'),
    /** Principals with every right, including overriding locks and freezes. */
    admins: Principals.default([]),
    groups: z.record(Name, z.array(z.string().min(1))).default({}),
    environments: z.array(Environment).min(1),
    services: z.array(Service).min(1),
    autoDeploy: z.array(AutoDeployRule).default([]),
    engine: z
      .object({
        /** How long a process holds an active deployment without renewing its lease. */
        lease: Duration.default('30s'),
        /** How often idle workers look for queued work. */
        pollInterval: Duration.default('1s'),
      })
      .strict()
      .default({ lease: '30s', pollInterval: '1s' }),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();
export type Config = z.infer<typeof Config>;
