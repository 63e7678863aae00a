import type { DriverPhase } from '../types.js';
import type { PlaceholderValues } from './placeholders.js';

/**
 * The only variables a command inherits from Slipway's own environment. Everything else —
 * SLACK_BOT_TOKEN, GITHUB_TOKEN, SLIPWAY_DATABASE_URL… — stays in Slipway: a deploy script is
 * configuration-controlled code and must not read chat or database credentials. A script that
 * needs a credential gets it the way it would outside Slipway (a file, a credential helper,
 * a cloud identity), or through `env` for values that are not secret.
 */
export const INHERITED_VARIABLES = ['PATH', 'HOME', 'LANG', 'TZ'] as const;

export type CommandPhase = DriverPhase | 'status' | 'teardown';

/** The safe base: the inherited variables that are set in `parent`, nothing else. */
export function inheritedEnvironment(parent: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_VARIABLES) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Builds the complete environment of a command: safe base, then `extra`, then SLIPWAY_*. */
export function commandEnvironment(
  parent: NodeJS.ProcessEnv,
  extra: Readonly<Record<string, string>>,
  values: PlaceholderValues,
  phase: CommandPhase,
): Record<string, string> {
  const env = inheritedEnvironment(parent);
  Object.assign(env, extra);
  // Set last so options.env cannot shadow them (the schema also refuses SLIPWAY_* names).
  Object.assign(env, {
    SLIPWAY_SERVICE: values.service,
    SLIPWAY_VERSION: values.version,
    SLIPWAY_ENVIRONMENT: values.environment,
    SLIPWAY_DEPLOYMENT_ID: values.deploymentId,
    SLIPWAY_CORRELATION_ID: values.correlationId,
    SLIPWAY_PREVIOUS_VERSION: values.previousVersion,
    SLIPWAY_IMAGE: values.image,
    SLIPWAY_REF: values.ref,
    SLIPWAY_REF_SLUG: values.refSlug,
    SLIPWAY_PHASE: phase,
  });
  return env;
}
