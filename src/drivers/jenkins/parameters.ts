import {
  PLACEHOLDERS,
  type Placeholder,
  type PlaceholderValues,
  refSlug,
} from '../command/placeholders.js';
import type { DriverContext, DriverPhase } from '../types.js';
import type { JenkinsOptions, ListedBuild } from './schema.js';

/** `team/deploy-web` → `/job/team/job/deploy-web`, each name encoded as a path segment. */
export function jobPath(job: string): string {
  return job
    .split('/')
    .map((name) => `/job/${encodeURIComponent(name)}`)
    .join('');
}

/** The values the placeholders stand for in this deployment, for `version`. */
export function placeholderValues(
  ctx: DriverContext<JenkinsOptions>,
  version: string,
): PlaceholderValues {
  const d = ctx.deployment;
  return {
    service: d.service,
    version,
    environment: d.environment,
    deploymentId: d.id,
    correlationId: d.correlationId,
    previousVersion: d.previousVersion ?? '',
    image: ctx.image ?? '',
    ref: d.ref?.name ?? '',
    refSlug: refSlug(d.ref?.name ?? version),
  };
}

const PATTERN = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Each parameter's template with its placeholders filled in (the schema refused unknown ones). */
export function renderParameters(
  templates: Record<string, string>,
  values: PlaceholderValues,
): Record<string, string> {
  const isKnown = (name: string): name is Placeholder =>
    (PLACEHOLDERS as readonly string[]).includes(name);
  return Object.fromEntries(
    Object.entries(templates).map(([name, template]) => [
      name,
      template.replace(PATTERN, (whole, key: string) => (isKnown(key) ? values[key] : whole)),
    ]),
  );
}

/** What one phase builds: the job, and the parameters it is given. */
export function phaseJob(
  ctx: DriverContext<JenkinsOptions>,
  phase: DriverPhase,
  version: string,
): { job: string; parameters: Record<string, string>; identifying: string[] } {
  const o = ctx.options;
  const rollback = phase === 'rollback';
  const job = rollback ? (o.rollbackJob ?? o.job) : o.job;
  const templates = rollback ? (o.rollbackParameters ?? o.parameters) : o.parameters;
  return {
    job,
    parameters: renderParameters(templates, placeholderValues(ctx, version)),
    identifying: identifyingParameters(templates),
  };
}

/**
 * Whether a listed build is the one these parameters started: the parameters that name this
 * deployment ({deploymentId}, {correlationId}) must be among the build's, and every one of ours
 * the build kept must have our value (Jenkins keeps only the parameters the job declares).
 * Without a parameter naming the deployment nothing can be told apart, and nothing matches.
 */
export function startedWith(
  build: ListedBuild,
  parameters: Record<string, string>,
  identifying: readonly string[],
): boolean {
  if (identifying.length === 0) return false;
  const kept = new Map<string, unknown>();
  for (const action of build.actions ?? []) {
    for (const p of action?.parameters ?? []) kept.set(p.name, p.value);
  }
  if (!identifying.every((name) => kept.has(name))) return false;
  return Object.entries(parameters).every(
    ([name, value]) => !kept.has(name) || String(kept.get(name)) === value,
  );
}

/** Parameters whose template names this deployment, so a build of it can be recognised. */
export function identifyingParameters(templates: Record<string, string>): string[] {
  return Object.entries(templates)
    .filter(([, t]) => t.includes('{deploymentId}') || t.includes('{correlationId}'))
    .map(([name]) => name);
}
