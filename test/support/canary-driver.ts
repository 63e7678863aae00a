import { z } from 'zod';
import type { CanaryState, DeployDriver, DriverContext } from '../../src/drivers/types.js';

/** What the target runs, as the driver keeps it: the live version and a canary beside it. */
export interface CanaryTarget {
  live: string | null;
  canary: { version: string; weight: number } | null;
}

export interface CanaryDriver extends DeployDriver<Record<string, unknown>> {
  target(): CanaryTarget;
  /** Every call the engine made, in order: `start 1.4.2`, `weight 25`, `promote`, `abort`. */
  calls(): string[];
}

/**
 * A driver whose target is kept in memory and that can split traffic: for the engine's canary
 * walk, where what matters is which calls come in which order and what the target ends up
 * running. `onWeight` lets a test move the traffic its metrics app reports with the weight.
 */
export function createCanaryDriver(
  options: {
    live?: string;
    onWeight?: (weight: number) => void;
    /**
     * Holds a promotion after the live target took the new version and before the canary is
     * removed, until it resolves or the run is stopped: a rollout cut off halfway.
     */
    promoteHold?: Promise<void>;
  } = {},
): CanaryDriver {
  const target: CanaryTarget = { live: options.live ?? null, canary: null };
  const calls: string[] = [];
  const state = (ctx: DriverContext<unknown>): CanaryState => ({
    running: target.canary !== null,
    version: target.canary?.version ?? null,
    weight: target.canary?.weight ?? 0,
    ready: target.canary !== null,
    deploymentId: ctx.deployment.id,
    detail: target.canary
      ? `canary ${target.canary.version}: ${target.canary.weight}%`
      : 'no canary',
  });
  return {
    id: 'canary-test',
    optionsSchema: z.record(z.string(), z.unknown()),
    capabilities: () => ({ status: true, rollbackToPrevious: true, canary: true }),
    async deploy(ctx) {
      calls.push(`deploy ${ctx.deployment.version}`);
      target.live = ctx.deployment.version;
      return { deployed: ctx.deployment.version };
    },
    async watch() {
      return { ok: true, summary: `live: ${target.live}` };
    },
    async status() {
      return { version: target.live, healthy: true, detail: `running ${target.live}` };
    },
    async rollback(_ctx, toVersion) {
      calls.push(`rollback ${toVersion}`);
      target.live = toVersion;
      return { rolledBack: toVersion };
    },
    canary: {
      async start(ctx) {
        calls.push(`start ${ctx.deployment.version}`);
        if (target.canary?.version !== ctx.deployment.version)
          target.canary = { version: ctx.deployment.version, weight: 0 };
        return { ok: true, summary: `canary ${ctx.deployment.version} ready` };
      },
      async setWeight(ctx, weight) {
        calls.push(`weight ${weight}`);
        if (target.canary) target.canary.weight = weight;
        options.onWeight?.(weight);
        return state(ctx);
      },
      async promote(ctx) {
        calls.push('promote');
        target.live = target.canary?.version ?? ctx.deployment.version;
        if (options.promoteHold) {
          const stopped = new Promise<never>((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }),
          );
          await Promise.race([options.promoteHold, stopped]);
        }
        target.canary = null;
        options.onWeight?.(0);
        return { ok: true, summary: `${target.live} is live on the primary` };
      },
      async abort() {
        calls.push('abort');
        target.canary = null;
        options.onWeight?.(0);
      },
      state: async (ctx) => state(ctx),
    },
    target: () => ({ ...target, canary: target.canary ? { ...target.canary } : null }),
    calls: () => [...calls],
  } satisfies CanaryDriver;
}
