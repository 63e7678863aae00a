import { type App, createApp } from '../app.js';
import { parseCommand } from '../commands/parse.js';
import { usageFor } from '../commands/usage.js';
import { type Deployment, isFinal } from '../core/deployment.js';
import { createLogger } from '../core/logger.js';
import { readSettings, type Settings } from '../core/settings.js';
import { executeCommand } from '../engine/execute.js';
import { flag, type ParsedArgs, stringValue, toGrammar, UsageError } from './args.js';
import { forceSentence } from './confirm.js';
import { loadOrExplain } from './load.js';
import { type CliOutput, createCliOutput } from './output.js';
import { refusalText, renderResult, stateText, transitionText } from './render.js';
import { noServerHint, serverRunning } from './server-presence.js';
import { APPROVE, CANCEL, REJECT, RETRY } from './specs.js';

const VERDICT_SPECS = { approve: APPROVE, reject: REJECT, cancel: CANCEL, retry: RETRY };

/**
 * Operator commands: the chat grammar from a terminal, acting as `operator` from slipway.yaml
 * and going through the same engine and policy as chat. A deployment is run by this process
 * (or by a server sharing the database, whichever claims it first) and followed to its end.
 */
export async function runOperatorCommand(
  verb: string,
  args: ParsedArgs,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const parsedArgs = toGrammar(verb, args);
  const settings = readSettings({
    ...env,
    ...(parsedArgs.configPath ? { SLIPWAY_CONFIG: parsedArgs.configPath } : {}),
  });
  const config = await loadOrExplain(settings.configPath);
  if (!config) return 1;
  const parsed = parseCommand(parsedArgs.text, {
    services: config.services.map((s) => s.name),
    environments: config.environments.map((e) => e.name),
  });
  if (!parsed.ok) {
    process.stderr.write(
      `${parsed.error}${parsed.suggestion ? ` ${parsed.suggestion}` : ''}\n\n${parsed.usage}\n`,
    );
    return 2;
  }
  if (parsed.command.kind === 'help') {
    process.stdout.write(`${usageFor(parsed.command.topic)}\n`);
    return 0;
  }
  const log = createLogger({ level: settings.logLevel ?? 'warn' }, process.stderr);
  const app = await createApp({ config, settings, log, env });
  const output = createCliOutput(app.store);
  // Deployments from the terminal are announced in chat like any other (when Slack is set up).
  app.chat?.notifier.start();
  try {
    const result = await executeCommand(app.engine, parsed.command, {
      actor: config.operator,
      source: 'cli',
      channel: null,
      askFirst: !parsedArgs.force,
    });
    const surprise = 'result' in result && !result.result.ok ? result.result.surprise : undefined;
    if (surprise) {
      await output.err(() => forceSentence(surprise));
      return 1;
    }
    const accepted =
      'result' in result && result.result.ok && 'deployment' in result.result
        ? result.result.deployment
        : null;
    if (accepted && parsedArgs.wait && (result.kind === 'deploy' || result.kind === 'rollback')) {
      if (!parsedArgs.json) await output.out((names) => renderResult(result, names));
      const final = await follow(app, output, accepted, parsedArgs.json);
      if (parsedArgs.json) process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
      return final.state === 'succeeded' || final.state === 'awaiting_approval' ? 0 : 1;
    }
    if (parsedArgs.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else await output.out((names) => renderResult(result, names));
    if ('result' in result && !result.result.ok) return 1;
    if (accepted) await hintWithoutServer(app, settings, accepted, true);
    return 0;
  } finally {
    await app.stop();
  }
}

/** Prints transitions and progress until the deployment ends or waits on people. */
async function follow(
  app: App,
  output: CliOutput,
  deployment: Deployment,
  quiet: boolean,
): Promise<Deployment> {
  const print = async (line: string) => {
    if (!quiet) await output.out(() => line);
  };
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  app.engine.start();
  let seen = 0;
  let lastProgress: string | null = null;
  try {
    for (;;) {
      const transitions = await app.store.listTransitions(deployment.id);
      for (const t of transitions.slice(seen)) await print(transitionText(t));
      seen = transitions.length;
      const current = await app.store.getDeployment(deployment.id);
      if (!current) throw new Error(`deployment ${deployment.id} disappeared`);
      if (current.progress && current.progress !== lastProgress && !isFinal(current.state)) {
        lastProgress = current.progress;
        await print(`          … ${current.progress}`);
      }
      if (isFinal(current.state) || current.state === 'awaiting_approval') {
        await print(`${current.id}: ${stateText(current)}`);
        return current;
      }
      if (interrupted.signal.aborted) {
        await print(
          `Stopped following ${current.id} (${current.state}); it goes on, and a running Slipway server takes it over. See: slipway history ${current.service}`,
        );
        return current;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}

export async function runVerdict(
  verb: 'approve' | 'reject' | 'cancel' | 'retry',
  args: ParsedArgs,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const id = args.positionals[0];
  if (!id) throw new UsageError(`Say which deployment to ${verb}.`, VERDICT_SPECS[verb]);
  const configPath = stringValue(args, 'config');
  const settings = readSettings({ ...env, ...(configPath ? { SLIPWAY_CONFIG: configPath } : {}) });
  const config = await loadOrExplain(settings.configPath);
  if (!config) return 1;
  const app = await createApp({
    config,
    settings,
    log: createLogger({ level: 'warn' }, process.stderr),
    env,
  });
  try {
    const caller = { actor: config.operator, source: 'cli' as const, channel: null };
    const reason = stringValue(args, 'reason') ?? null;
    const result =
      verb === 'cancel'
        ? await app.engine.cancel({ ...caller, deploymentId: id, reason })
        : verb === 'retry'
          ? await app.engine.retry({ ...caller, deploymentId: id, reason })
          : await app.engine.verdict({
              ...caller,
              deploymentId: id,
              verdict: verb,
              comment: reason,
            });
    const output = createCliOutput(app.store);
    if (flag(args, 'json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (!result.ok) await output.out(() => refusalText(result));
    else await output.out(() => `${result.deployment.id}: ${stateText(result.deployment)}`);
    if (result.ok) await hintWithoutServer(app, settings, result.deployment, false);
    return result.ok ? 0 : 1;
  } finally {
    await app.stop();
  }
}

/** Work this process queued but will not run: say so when no server will either. */
async function hintWithoutServer(
  app: App,
  settings: Settings,
  deployment: Deployment,
  canWait: boolean,
): Promise<void> {
  if (deployment.state !== 'queued') return;
  if (await serverRunning(settings, app.store, deployment)) return;
  process.stderr.write(`${noServerHint(canWait)}\n`);
}
