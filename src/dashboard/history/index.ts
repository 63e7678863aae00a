import type { Route } from '../../http/router.js';
import type { DashboardDeps } from '../types.js';

export function historyRoutes(_deps: DashboardDeps): Route[] {
  return [];
}
