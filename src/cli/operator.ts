import { parseArgs } from 'node:util';
import { type App, createApp } from '../app.js';
import { parseCommand } from '../commands/parse.js';
import { usageFor } from '../commands/usage.js';
import { type Deployment, isFinal } from '../core/deployment.js';
import { createLogger } from '../core/logger.js';
import { readSettings } from '../core/settings.js';
import { executeCommand } from '../engine/execute.js';
import { toGrammar } from './args.js';
import { loadOrExplain } from './load.js';
import { refusalText, renderResult, stateText, transitionText } from './render.js';

/**
 * Operator commands: the chat grammar from a terminal, acting as `operator` from slipway.yaml
 * and going through the same engine and policy as chat. A deployment is run by this process
 * (or by a server sharing the database, whichever claims it first) and followed to its end.
 */
export async function runOperatorCommand(
  verb: string,
  args: string[],
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
  // Deployments from the terminal are announced in chat like any other (when Slack is set up).
  app.chat?.notifier.start();
  try {
    const result = await executeCommand(app.engine, parsed.command, {
      actor: config.operator,
      source: 'cli',
      channel: null,
    });
    if (
      parsedArgs.json &&
      !(parsedArgs.wait && 'result' in result && result.result.ok && 'deployment' in result.result)
    ) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 'result' in result && !result.result.ok ? 1 : 0;
    }
    if (!parsedArgs.json) process.stdout.write(`${renderResult(result)}\n`);
    if ('result' in result && !result.result.ok) return 1;
    if (
      (result.kind === 'deploy' || result.kind === 'rollback') &&
      result.result.ok &&
      parsedArgs.wait
    ) {
      const final = await follow(app, result.result.deployment, parsedArgs.json);
      if (parsedArgs.json) process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
      return final.state === 'succeeded' || final.state === 'awaiting_approval' ? 0 : 1;
    }
    return 0;
  } finally {
    await app.stop();
  }
}

/** Prints transitions and progress until the deployment ends or waits on people. */
async function follow(app: App, deployment: Deployment, quiet: boolean): Promise<Deployment> {
  const print = (line: string) => {
    if (!quiet) process.stdout.write(`${line}\n`);
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
      for (const t of transitions.slice(seen)) print(transitionText(t));
      seen = transitions.length;
      const current = await app.store.getDeployment(deployment.id);
      if (!current) throw new Error(`deployment ${deployment.id} disappeared`);
      if (current.progress && current.progress !== lastProgress && !isFinal(current.state)) {
        lastProgress = current.progress;
        print(`          … ${current.progress}`);
      }
      if (isFinal(current.state) || current.state === 'awaiting_approval') {
        print(`${current.id}: ${stateText(current)}`);
        return current;
      }
      if (interrupted.signal.aborted) {
        print(
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
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      reason: { type: 'string', short: 'm' },
      json: { type: 'boolean' },
    },
  });
  const id = positionals[0];
  if (!id || positionals.length > 1) {
    process.stderr.write(`Usage: slipway ${verb} <deployment-id> [--reason <text>]\n`);
    return 2;
  }
  const settings = readSettings({
    ...env,
    ...(values.config ? { SLIPWAY_CONFIG: values.config } : {}),
  });
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
    const reason = values.reason ?? null;
    const result =
      verb === 'cancel'
        ? await app.engine.cancel({ ...caller, deploymentId: id, reason })
        : verb === 'retry'
          ? await app.engine.retry({ ...caller, deploymentId: id, reason })
          : await app.engine.verdict({
              ...caller,
              deploymentId: id,
              verdict: verb,
              comment: values.reason ?? null,
            });
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (!result.ok) process.stdout.write(`${refusalText(result)}\n`);
    else process.stdout.write(`${result.deployment.id}: ${stateText(result.deployment)}\n`);
    return result.ok ? 0 : 1;
  } finally {
    await app.stop();
  }
}
