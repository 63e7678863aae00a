import type { Route } from '../http/router.js';
import { actionRoutes } from './actions.js';
import { assetRoutes } from './assets.js';
import { deploymentRoutes } from './deployment/index.js';
import { doraRoutes } from './dora/index.js';
import { historyRoutes } from './history/index.js';
import { inboxRoutes } from './inbox/index.js';
import { createLiveUpdates } from './live.js';
import { overviewRoutes } from './overview/index.js';
import type { DashboardDeps } from './types.js';

export type { DashboardDeps } from './types.js';

export interface Dashboard {
  /** Every page, its actions, its live updates and its assets, plus signing in and out. */
  routes: Route[];
  /** Ends the live streams, so that shutting down does not wait for open pages. */
  close(): void;
}

/**
 * The dashboard served by `slipway serve` on its own port (README.md beside this file): what is
 * live where, every deployment's story, what waits for me, history and audit, and DORA.
 */
export function createDashboard(deps: DashboardDeps): Dashboard {
  const live = createLiveUpdates(deps);
  return {
    routes: [
      ...deps.auth.routes,
      ...assetRoutes(),
      ...live.routes,
      ...overviewRoutes(deps),
      ...deploymentRoutes(deps),
      ...actionRoutes(deps),
      ...inboxRoutes(deps),
      ...historyRoutes(deps),
      ...doraRoutes(deps),
    ],
    close: () => live.close(),
  };
}
