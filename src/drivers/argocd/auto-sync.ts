import type { Logger } from 'pino';
import type { AppRef, ArgoCdClient } from './client.js';
import type { Application } from './schema.js';

/**
 * Argo CD refuses a rollback while automated sync is on ("rollback cannot be initiated when
 * auto-sync is enabled"): automated sync would take the application straight back to what its
 * source says. So a rollback turns it off, as `argocd app set --sync-policy none` does, and the
 * application stays pinned to the rolled-back version until the next good deployment turns it
 * back on, as it was.
 *
 * What was on is remembered in the Application itself, as an annotation holding the automated
 * policy that was removed (prune, selfHeal, allowEmpty…): the next deployment is another
 * Slipway deployment, maybe on another replica, and whoever looks at the application in Argo CD
 * sees why its auto-sync is off. Both changes are one JSON merge patch
 * (PATCH /api/v1/applications/{name}), which Argo CD applies to the whole Application, its
 * annotations included (server/application: Patch → updateApp).
 */
export const PINNED_ANNOTATION = 'slipway.dev/auto-sync-before-rollback';

export const PINNED_NOTE =
  'auto-sync is off: Argo CD keeps the rollback until the next good deployment';
export const RESUMED_NOTE = 'auto-sync is on again, as it was before the rollback';

/**
 * Automated sync is on: `spec.syncPolicy.automated` is set and its `enabled` (Argo CD 3.1 and
 * later) is not false, as the controller reads it (SyncPolicy.IsAutomatedSyncEnabled).
 */
export function autoSyncOn(app: Application): boolean {
  const automated = app.spec.syncPolicy?.automated;
  return Boolean(automated) && automated?.enabled !== false;
}

/** The automated policy Slipway removed for a rollback, when it is still to be put back. */
export function pinnedPolicy(app: Application): Record<string, unknown> | null {
  const text = app.metadata.annotations?.[PINNED_ANNOTATION];
  if (text === undefined || text === null) return null;
  try {
    const policy: unknown = JSON.parse(text);
    if (policy && typeof policy === 'object' && !Array.isArray(policy))
      return policy as Record<string, unknown>;
  } catch {
    // Edited by hand into something else: auto-sync was on, with Argo CD's defaults.
  }
  return {};
}

interface Connection {
  client: ArgoCdClient;
  ref: AppRef;
  signal: AbortSignal;
  log: Logger;
}

/**
 * Before a rollback: turns automated sync off when it is on, remembering it. Returns the
 * application as it is now, and whether it is pinned by Slipway (now or by an earlier rollback
 * whose next good deployment has not come yet).
 */
export async function pin(
  c: Connection,
  app: Application,
): Promise<{ app: Application; pinned: boolean }> {
  if (!autoSyncOn(app)) return { app, pinned: pinnedPolicy(app) !== null };
  const automated = app.spec.syncPolicy?.automated ?? {};
  const patch = {
    metadata: { annotations: { [PINNED_ANNOTATION]: JSON.stringify(automated) } },
    spec: { syncPolicy: { automated: null } },
  };
  const pinned = await c.client.patch(c.ref, patch, c.signal);
  c.log.info({ application: c.ref.name }, 'argocd auto-sync turned off for a rollback');
  return { app: pinned, pinned: true };
}

/**
 * After a good deployment: puts back the automated policy a rollback removed, unless someone
 * turned auto-sync on meanwhile, and forgets it. Returns the note for the card, or null when
 * the application was not pinned by Slipway.
 */
export async function unpin(c: Connection): Promise<string | null> {
  let policy: Record<string, unknown> | null = null;
  try {
    const app = await c.client.get(c.ref, c.signal);
    policy = pinnedPolicy(app);
    if (policy === null) return null;
    const automated = autoSyncOn(app) ? {} : { spec: { syncPolicy: { automated: policy } } };
    await c.client.patch(
      c.ref,
      { metadata: { annotations: { [PINNED_ANNOTATION]: null } }, ...automated },
      c.signal,
    );
  } catch (err) {
    // The deployment is good either way: say what is left to do instead of failing it.
    const reason = (err as Error).message;
    c.log.warn({ application: c.ref.name, reason }, 'argocd auto-sync not turned back on');
    return policy === null
      ? null
      : `auto-sync is still off: Slipway could not turn it back on (${reason}); turn it on in Argo CD`;
  }
  c.log.info({ application: c.ref.name }, 'argocd auto-sync turned back on');
  return RESUMED_NOTE;
}
