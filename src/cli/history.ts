import { createApp } from '../app.js';
import { findName } from '../commands/outcome.js';
import { parseCommand } from '../commands/parse.js';
import { quote } from '../commands/quote.js';
import type { Config } from '../config/schema.js';
import type { Deployment } from '../core/deployment.js';
import { createLogger } from '../core/logger.js';
import { readSettings } from '../core/settings.js';
import { suggest } from '../core/suggest.js';
import type { RefusalRecord, Store } from '../store/types.js';
import { flag, type ParsedArgs, stringValue, UsageError } from './args.js';
import { loadOrExplain } from './load.js';
import { runOperatorCommand } from './operator.js';
import { createCliOutput } from './output.js';
import { renderAuditTrail } from './render.js';
import { HISTORY } from './specs.js';

const DEFAULT_ENTRIES = 10;
const MAX_ENTRIES = 100;

/** One row of the audit trail: a deployment, or a request that was refused. */
export type AuditEntry =
  | { type: 'deployment'; at: Date; deployment: Deployment }
  | { type: 'refusal'; at: Date; refusal: RefusalRecord };

export interface AuditQuery {
  service: string | null;
  environment: string | null;
  limit: number;
}

/** `slipway history`: the chat command, or with `--all` the audit trail with refusals. */
export async function runHistory(
  parsed: ParsedArgs,
  env: NodeJS.ProcessEnv,
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> {
  if (!flag(parsed, 'all')) return runOperatorCommand('history', parsed, env);
  const configPath = stringValue(parsed, 'config');
  const settings = readSettings({ ...env, ...(configPath ? { SLIPWAY_CONFIG: configPath } : {}) });
  const config = await loadOrExplain(settings.configPath);
  if (!config) return 1;
  const query = auditQuery(config, parsed.positionals, stringValue(parsed, 'in') ?? null);
  if (typeof query === 'string') throw new UsageError(query, HISTORY);
  const log = createLogger({ level: settings.logLevel ?? 'warn' }, process.stderr);
  const app = await createApp({ config, settings, log, env });
  try {
    const entries = await auditTrail(app.store, query);
    if (flag(parsed, 'json')) write(`${JSON.stringify(entries, null, 2)}\n`);
    else {
      const output = createCliOutput(app.store, {
        out: write,
        err: (text) => process.stderr.write(text),
      });
      await output.out((names) => renderAuditTrail(entries, names));
    }
    return 0;
  } finally {
    await app.stop();
  }
}

/**
 * Reads `[<service>] [<n>]` and `--in <env>`. With a service, the chat grammar reads them (its
 * errors and suggestions); without one, the same name lookup checks the environment.
 */
export function auditQuery(
  config: Config,
  positionals: string[],
  environment: string | null,
): AuditQuery | string {
  const names = {
    services: config.services.map((s) => s.name),
    environments: config.environments.map((e) => e.name),
  };
  const [first] = positionals;
  if (first !== undefined && !/^\d+$/.test(first)) {
    const text = ['history', ...positionals, ...(environment ? ['in', environment] : [])];
    const parsed = parseCommand(text.join(' '), names);
    if (!parsed.ok) return `${parsed.error}${parsed.suggestion ? ` ${parsed.suggestion}` : ''}`;
    if (parsed.command.kind !== 'history') return `Unexpected ${positionals.join(' ')}.`;
    const { service, environment: env, limit } = parsed.command;
    return { service, environment: env, limit };
  }
  if (positionals.length > 1) return `Unexpected ${positionals[1]}: give a service first.`;
  const limit = first === undefined ? DEFAULT_ENTRIES : Number(first);
  if (!(limit >= 1 && limit <= MAX_ENTRIES))
    return `The number of entries must be between 1 and ${MAX_ENTRIES}, not ${first}.`;
  if (environment === null) return { service: null, environment: null, limit };
  const found = findName(names, 'environment', environment);
  if (found !== null) return { service: null, environment: found, limit };
  const near = suggest(environment.toLowerCase(), names.environments);
  return `Unknown environment ${quote(environment)}.${near ? ` Did you mean \`${near}\`?` : ''}`;
}

/** The newest `limit` deployments and refusals of the query, interleaved newest first. */
export async function auditTrail(store: Store, query: AuditQuery): Promise<AuditEntry[]> {
  const filter = {
    ...(query.service !== null ? { service: query.service } : {}),
    ...(query.environment !== null ? { environment: query.environment } : {}),
    limit: query.limit,
  };
  const [deployments, refusals] = await Promise.all([
    store.listDeployments(filter),
    store.listRefusals(filter),
  ]);
  const entries: AuditEntry[] = [
    ...deployments.map((d) => ({ type: 'deployment' as const, at: d.createdAt, deployment: d })),
    ...refusals.map((r) => ({ type: 'refusal' as const, at: r.at, refusal: r })),
  ];
  // Stable: at the same millisecond a deployment stays before a refusal.
  return entries.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, query.limit);
}
