import { z } from 'zod';
import type { DeployDriver, DriverContext, DriverHandle } from '../../src/drivers/types.js';

/** One thing the engine asked the driver to do. */
export interface DriverRun {
  deploymentId: string;
  service: string;
  environment: string;
  version: string;
  phase: 'deploy' | 'rollback';
}

export interface RecordingDriver extends DeployDriver<Record<string, unknown>> {
  /** Every run started, oldest first. */
  runs(): DriverRun[];
}

/**
 * A driver that changes nothing and remembers what it was asked: every deploy and rollback
 * succeeds at once. For tests about who may do what, where "the driver ran nothing" must be
 * checkable and a child process per deployment would only cost time.
 */
export function createRecordingDriver(id = 'recording'): RecordingDriver {
  const runs: DriverRun[] = [];
  // Starting is idempotent per (deployment, phase), as the port asks of every driver.
  const start = (
    ctx: DriverContext<Record<string, unknown>>,
    phase: DriverRun['phase'],
    version: string,
  ): DriverHandle => {
    const d = ctx.deployment;
    const index = runs.findIndex((r) => r.deploymentId === d.id && r.phase === phase);
    if (index >= 0) return { run: index };
    runs.push({
      deploymentId: d.id,
      service: d.service,
      environment: d.environment,
      version,
      phase,
    });
    return { run: runs.length - 1 };
  };
  return {
    id,
    optionsSchema: z.record(z.string(), z.unknown()),
    async deploy(ctx) {
      return start(ctx, 'deploy', ctx.deployment.version);
    },
    async rollback(ctx, toVersion) {
      return start(ctx, 'rollback', toVersion ?? ctx.deployment.version);
    },
    async watch() {
      return { ok: true, summary: 'recorded' };
    },
    runs: () => [...runs],
  } satisfies RecordingDriver;
}
