import type { Route } from '../../http/router.js';
import type { DashboardDeps } from '../types.js';

export function doraRoutes(_deps: DashboardDeps): Route[] {
  return [];
}
