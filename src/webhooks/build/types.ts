import type { BuildRef } from '../../core/deployment.js';

/** A build CI reported, checked against slipway.yaml: everything the engine is asked with. */
export interface Build {
  service: string;
  /** The image tag (or the `version` field): what gets deployed. */
  version: string;
  ref: BuildRef;
  commit: string | null;
  /** When the commit was made, when CI said: kept on the deployment for lead time (src/dora). */
  committedAt: Date | null;
  /** Link to the CI run, shown with the deployment. */
  url: string | null;
}

/**
 * Why the hook refused a request: the HTTP status, `error` for machines and `message` for the
 * person reading the CI log, who should learn from it what to change.
 */
export interface HookRefusal {
  refused: true;
  status: number;
  error: string;
  message: string;
  suggestion?: string | null;
}

export function hookRefusal(
  status: number,
  error: string,
  message: string,
  suggestion?: string | null,
): HookRefusal {
  return { refused: true, status, error, message, ...(suggestion ? { suggestion } : {}) };
}

export function isRefusal(value: unknown): value is HookRefusal {
  return typeof value === 'object' && value !== null && (value as HookRefusal).refused === true;
}
