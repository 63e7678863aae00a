import { type App, createApp } from '../app.js';
import { driverBinding, findService } from '../config/lookup.js';
import { type Deployment, isFinal } from '../core/deployment.js';
import { createLogger } from '../core/logger.js';
import { readSettings } from '../core/settings.js';
import { drivers } from '../drivers/index.js';
import type { DeployDriver, DriverOutput, DriverPhase } from '../drivers/types.js';
import { flag, type ParsedArgs, stringValue, UsageError } from './args.js';
import { loadOrExplain } from './load.js';
import { LOGS } from './specs.js';

const PHASES: readonly DriverPhase[] = ['deploy', 'rollback'];
const FOLLOW_POLL_MS = 500;

/** The handles the engine stores in `driverRef`, one per phase, and the driver's link. */
interface StoredRef {
  deploy?: Record<string, unknown>;
  rollback?: Record<string, unknown>;
  link?: { label?: unknown; url?: unknown };
}

type ReadOutput = (phase: DriverPhase) => Promise<DriverOutput | null>;

/** `slipway logs <deployment-id>`: what the deployment's runs printed, from its driver. */
export async function runLogs(parsed: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const id = parsed.positionals[0];
  if (!id) throw new UsageError('Say which deployment (its id is in `slipway history`).', LOGS);
  const phase = stringValue(parsed, 'phase');
  if (phase !== undefined && !PHASES.includes(phase as DriverPhase))
    throw new UsageError(`--phase is deploy or rollback, not "${phase}".`, LOGS);
  const configPath = stringValue(parsed, 'config');
  const settings = readSettings({ ...env, ...(configPath ? { SLIPWAY_CONFIG: configPath } : {}) });
  const config = await loadOrExplain(settings.configPath);
  if (!config) return 1;
  const log = createLogger({ level: settings.logLevel ?? 'warn' }, process.stderr);
  const app = await createApp({ config, settings, log, env });
  try {
    const deployment = await app.engine.get(id);
    if (!deployment) {
      process.stderr.write(
        `There is no deployment ${id}; \`slipway history <service>\` lists them.\n`,
      );
      return 1;
    }
    const reader = outputReader(app, deployment, { dataDir: settings.dataDir, env });
    if (typeof reader === 'string') {
      process.stderr.write(`${reader}\n`);
      return 1;
    }
    const phases = phase ? [phase as DriverPhase] : PHASES;
    if (flag(parsed, 'follow')) return await follow(app, deployment.id, phases, reader);
    const shown = await printOutputs(deployment, phases, reader, new Map());
    if (shown === 0) {
      process.stderr.write(`${nothingStored(deployment, phase ?? null)}\n`);
      return 1;
    }
    return 0;
  } finally {
    await app.stop();
  }
}

/** Reads a phase's output through the deployment's driver, or says why it cannot. */
function outputReader(
  app: App,
  deployment: Deployment,
  factory: { dataDir: string; env: NodeJS.ProcessEnv },
): ReadOutput | string {
  const create = drivers.get(deployment.driver);
  const driver: DeployDriver<unknown> | undefined = create?.({ ...factory, log: app.log });
  if (!driver) return `Driver "${deployment.driver}" is not part of this Slipway.`;
  const logs = driver.logs?.bind(driver);
  if (!logs) return noOutputKept(deployment);
  const binding = driverBinding(app.config, deployment.service, deployment.environment);
  const options = driver.optionsSchema.safeParse(binding?.options);
  if (!binding || !options.success)
    return `${deployment.service} in ${deployment.environment} is no longer configured with valid ${deployment.driver} options, so its output cannot be found.`;
  return async (phase) => {
    const handle = (deployment.driverRef as StoredRef | null)?.[phase];
    if (!handle) return null;
    return logs(
      {
        deployment,
        image: findService(app.config, deployment.service)?.image ?? null,
        options: options.data,
        log: app.log,
        signal: new AbortController().signal,
        progress: () => {},
      },
      handle,
    );
  };
}

/** Prints each phase's output under a heading; returns how many phases had any. */
async function printOutputs(
  deployment: Deployment,
  phases: readonly DriverPhase[],
  read: ReadOutput,
  printed: Map<DriverPhase, string>,
): Promise<number> {
  let shown = 0;
  for (const phase of phases) {
    const output = await read(phase);
    if (!output) continue;
    shown += 1;
    const before = printed.get(phase);
    if (before === undefined)
      process.stdout.write(`── ${deployment.id} ${phase} (${output.location}) ──\n`);
    const fresh = newPart(before ?? '', output.text);
    if (fresh) process.stdout.write(fresh);
    printed.set(phase, output.text);
  }
  return shown;
}

/**
 * What `text` adds to what was printed. The driver keeps only the last part of long output, so
 * the start may have moved on: continue after the end of what was printed, wherever it now is.
 */
export function newPart(printed: string, text: string): string {
  if (text.startsWith(printed)) return text.slice(printed.length);
  const tail = printed.slice(-200);
  const at = text.lastIndexOf(tail);
  if (at !== -1) return text.slice(at + tail.length);
  // The end of what was printed is now the start of what is kept.
  for (let k = Math.min(tail.length, text.length); k > 0; k--)
    if (text.startsWith(tail.slice(-k))) return text.slice(k);
  return text;
}

async function follow(
  app: App,
  id: string,
  phases: readonly DriverPhase[],
  read: ReadOutput,
): Promise<number> {
  const printed = new Map<DriverPhase, string>();
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  try {
    for (;;) {
      // The stored handles grow as phases start: read the deployment again each time.
      const current = await app.engine.get(id);
      if (!current) return 1;
      await printOutputs(current, phases, read, printed);
      if (isFinal(current.state) || interrupted.signal.aborted) {
        if (printed.size === 0) process.stderr.write(`${nothingStored(current, null)}\n`);
        return 0;
      }
      await new Promise((done) => setTimeout(done, FOLLOW_POLL_MS));
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function nothingStored(d: Deployment, phase: string | null): string {
  const which = phase ? `no ${phase} output` : 'no output';
  if (!isFinal(d.state) && d.state !== 'running' && d.state !== 'rolling_back')
    return `${d.id} has ${which} yet: it is ${d.state.replace('_', ' ')}. \`slipway logs ${d.id} --follow\` prints it as it comes.`;
  return `${d.id} has ${which} stored: its driver never started that work${d.outcome ? ` (${d.outcome})` : ''}.`;
}

function noOutputKept(d: Deployment): string {
  const link = (d.driverRef as StoredRef | null)?.link;
  const where =
    typeof link?.url === 'string'
      ? `read it there: ${link.url}`
      : `read it where ${d.driver} runs the work (its own UI or logs)`;
  return `The ${d.driver} driver keeps no output in Slipway for ${d.id}; ${where}.`;
}
