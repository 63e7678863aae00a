import type { Surprise } from '../engine/index.js';

/**
 * Why a terminal user's deploy or rollback was not carried out (engine/surprises.ts): one they
 * probably did not mean, which `--force` says they did. Chat asks instead; a terminal has no
 * button to press.
 */
export function forceSentence(surprise: Surprise): string {
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
