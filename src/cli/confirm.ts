import type { App } from '../app.js';
import type { Command } from '../commands/types.js';

/**
 * Changes a terminal user probably did not mean (engine/surprises.ts), refused unless `--force`
 * says they did. Chat asks instead; a terminal has no button to press. Returns the sentence to
 * print, or null when the command may go ahead.
 */
export async function needsForce(app: App, command: Command): Promise<string | null> {
  if (command.kind !== 'deploy' && command.kind !== 'rollback') return null;
  const surprise = await app.engine.surprise({
    kind: command.kind,
    service: command.service,
    environment: command.environment,
    version: command.version,
  });
  if (!surprise) return null;
  const { service, version, environment, live } = surprise;
  if (surprise.kind === 'live_again') {
    return `${service} ${version} is already live in ${environment} (${surprise.live.id}, finished ${when(surprise.live.finishedAt)}). Add --force to deploy ${version} again: the driver runs the deploy once more with the same version.`;
  }
  const now = live ? `${live.version} is live there now` : 'nothing has been deployed there yet';
  return `${service} ${version} was never live in ${environment} (${now}), so this is not a rollback but a deploy of ${version}. Add --force to deploy it through the rules for a deploy, or name a version that was live: slipway history ${service} --in ${environment}`;
}

function when(at: Date | null): string {
  return at ? at.toISOString().replace('T', ' ').slice(0, 16) : 'at an unknown time';
}
