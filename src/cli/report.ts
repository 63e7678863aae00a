import { createApp } from '../app.js';
import { createLogger } from '../core/logger.js';
import { readSettings } from '../core/settings.js';
import { renderDoraReport } from '../dora/render.js';
import { doraReport, windowSince } from '../dora/report.js';
import { doraTargets } from '../dora/targets.js';
import { flag, type ParsedArgs, stringValue, UsageError } from './args.js';
import { loadOrExplain } from './load.js';
import { REPORT_DORA } from './specs.js';

/**
 * `slipway report dora`: the DORA metrics from the database slipway.yaml's Slipway uses, read
 * directly (no server needed), as a table or as JSON.
 */
export async function runDoraReport(
  parsed: ParsedArgs,
  env: NodeJS.ProcessEnv,
  write: (text: string) => void = (text) => process.stdout.write(text),
  now: Date = new Date(),
): Promise<number> {
  const configPath = stringValue(parsed, 'config');
  const settings = readSettings({ ...env, ...(configPath ? { SLIPWAY_CONFIG: configPath } : {}) });
  const config = await loadOrExplain(settings.configPath);
  if (!config) return 1;
  const window = windowSince(stringValue(parsed, 'since') ?? '30d', now);
  if (typeof window === 'string') throw new UsageError(window, REPORT_DORA);
  const request = {
    window,
    ...optional('service', stringValue(parsed, 'service')),
    ...optional('environment', stringValue(parsed, 'environment')),
  };
  // Names are checked before the database is opened: a typo answers at once.
  const targets = doraTargets(config, request);
  if (typeof targets === 'string') throw new UsageError(targets, REPORT_DORA);
  const log = createLogger({ level: settings.logLevel ?? 'warn' }, process.stderr);
  const app = await createApp({ config, settings, log, env });
  try {
    const report = await doraReport(app.store, config, request);
    if (typeof report === 'string') throw new UsageError(report, REPORT_DORA);
    if (flag(parsed, 'json')) write(`${JSON.stringify(report, null, 2)}\n`);
    else write(`${renderDoraReport(report, { weeks: flag(parsed, 'weeks') })}\n`);
    return 0;
  } finally {
    await app.stop();
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
