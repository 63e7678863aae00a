import type { App } from '../app.js';
import type { Command } from '../commands/types.js';
import { driverBinding, environmentsInOrder } from '../config/lookup.js';
import type { Config } from '../config/schema.js';

/**
 * Changes a terminal user probably did not mean, refused unless `--force` says they did: the
 * version that is live deployed again, and a rollback to a version never live there (which the
 * engine carries out as a deploy of it). Chat asks instead; a terminal has no button to press.
 * Returns the sentence to print, or null when the command may go ahead.
 */
export async function needsForce(app: App, command: Command): Promise<string | null> {
  if (command.kind !== 'deploy' && command.kind !== 'rollback') return null;
  if (command.version === null) return null;
  const environment = command.environment ?? defaultEnvironment(app.config, command);
  // Unknown or ambiguous names: the engine refuses them with the names it knows.
  if (environment === null || !driverBinding(app.config, command.service, environment)) return null;
  const { service, version } = command;
  const target = (await app.engine.status(service)).find((t) => t.environment === environment);
  const live = target?.live ?? null;
  if (command.kind === 'deploy') {
    if (live?.version !== version) return null;
    return `${service} ${version} is already live in ${environment} (${live.id}, finished ${when(live.finishedAt)}). Add --force to deploy ${version} again: the driver runs the deploy once more with the same version.`;
  }
  const succeeded = await app.engine.history({
    service,
    environment,
    states: ['succeeded'],
    limit: 500,
  });
  if (succeeded.some((d) => d.version === version)) return null;
  const now = live ? `${live.version} is live there now` : 'nothing has been deployed there yet';
  return `${service} ${version} was never live in ${environment} (${now}), so this is not a rollback but a deploy of ${version}. Add --force to deploy it through the rules for a deploy, or name a version that was live: slipway history ${service} --in ${environment}`;
}

/** The environment the engine picks when none is named (engine/requests.ts does the same). */
function defaultEnvironment(config: Config, command: Command & { service: string }): string | null {
  const deployable = environmentsInOrder(config).filter((env) =>
    driverBinding(config, command.service, env.name),
  );
  if (command.kind === 'rollback')
    return deployable.length === 1 ? (deployable[0]?.name ?? null) : null;
  return deployable[0]?.name ?? null;
}

function when(at: Date | null): string {
  return at ? at.toISOString().replace('T', ' ').slice(0, 16) : 'at an unknown time';
}
