import { formatIssues, loadConfig } from '../config/index.js';
import type { Config } from '../config/schema.js';
import { driverCanarySupport, driverOptionSchemas } from '../drivers/index.js';

/** Loads slipway.yaml; on problems prints every one (line and fix) and returns null. */
export async function loadOrExplain(path: string): Promise<Config | null> {
  const loaded = await loadConfig(path, {
    driverSchemas: driverOptionSchemas(),
    canarySupport: driverCanarySupport(),
  });
  if (loaded.ok) return loaded.config;
  process.stderr.write(`${formatIssues(loaded.errors, path)}\n`);
  process.stderr.write(`\n${loaded.errors.length} problem(s) in ${path}.\n`);
  return null;
}
