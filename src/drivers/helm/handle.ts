import { z } from 'zod';

/**
 * What `watch` needs to follow a helm revision in any process; stored by the engine. The
 * revision numbers come from helm's own history, so a process that takes the deployment over
 * reads the same release whatever machine ran helm.
 */
export const DeployHandle = z.object({
  phase: z.literal('deploy'),
  release: z.string(),
  namespace: z.string(),
  /** The revision this deploy wrote. */
  revision: z.number().int().positive(),
  /** The revision live before it, which a rollback of this deployment returns to; null: none. */
  previousRevision: z.number().int().positive().nullable(),
  version: z.string(),
  /** Epoch ms by which the rollout must be complete. */
  deadline: z.number(),
});
export type DeployHandle = z.infer<typeof DeployHandle>;

export const RollbackHandle = z.object({
  phase: z.literal('rollback'),
  release: z.string(),
  namespace: z.string(),
  revision: z.number().int().positive(),
  /** The earlier revision brought back; null when the version was installed afresh. */
  restores: z.number().int().positive().nullable(),
  deadline: z.number(),
});
export type RollbackHandle = z.infer<typeof RollbackHandle>;

export const HelmHandle = z.discriminatedUnion('phase', [DeployHandle, RollbackHandle]);
export type HelmHandle = z.infer<typeof HelmHandle>;

/** The deploy handle the engine stored for this deployment, if it is this driver's. */
export function deployHandleOf(driverRef: unknown): DeployHandle | null {
  const stored = (driverRef as { deploy?: unknown } | null)?.deploy;
  const parsed = DeployHandle.safeParse(stored);
  return parsed.success ? parsed.data : null;
}

/** "release web revision 5", and for a rollback "(revision 3 again)". */
export function revisionLabel(handle: HelmHandle): string {
  const again =
    handle.phase === 'rollback' && handle.restores !== null
      ? ` (revision ${handle.restores} again)`
      : '';
  return `release ${handle.release} revision ${handle.revision}${again}`;
}
