import { findEnvironment, findService } from '../../config/lookup.js';
import type { Config } from '../../config/schema.js';
import type { Deployment } from '../../core/deployment.js';
import type { Store } from '../../store/types.js';

/** Where and how a deployment is reported on GitHub, from `services[].github`. */
export interface Target {
  repository: string;
  githubEnvironment: string;
  production: boolean;
  transient: boolean;
  /** The environment's address for `environment_url`, when configured. */
  url: string | null;
}

/** Null when the deployment's service is not reported to GitHub. */
export function targetOf(config: Config, d: Pick<Deployment, 'service' | 'environment'>) {
  const github = findService(config, d.service)?.github;
  if (!github) return null;
  const options = github.environments[d.environment] ?? {};
  return {
    repository: github.repository,
    githubEnvironment: options.name ?? d.environment,
    production: options.production ?? findEnvironment(config, d.environment)?.protected ?? false,
    transient: options.transient ?? false,
    url: options.url ?? null,
  } satisfies Target;
}

/**
 * What a deployment holds on GitHub once it succeeded: its environment (''), or, for a preview
 * (transient), its own preview, named after the build's branch or tag as the drivers name
 * previews (a version deployed by hand counts as a tag of that name). A newer success in the
 * same slot makes it inactive; a preview of another branch does not.
 */
export function slotOf(d: Pick<Deployment, 'ref' | 'version'>, transient: boolean): string {
  if (!transient) return '';
  return d.ref ? `${d.ref.type}:${d.ref.name}` : `tag:${d.version}`;
}

/**
 * The ref GitHub deploys: the build's commit when CI reported it; else the ref an earlier
 * deployment of the same version was reported with (a promotion or a rollback deploys a build
 * that was reported before); else the version itself, as a tag or branch name.
 */
export async function refFor(
  store: Store,
  d: Pick<Deployment, 'service' | 'version' | 'commit'>,
  repository: string,
): Promise<string> {
  if (d.commit) return d.commit;
  const earlier = await store.listGitHubDeployments({
    repository,
    service: d.service,
    version: d.version,
    limit: 20,
  });
  return earlier.find((r) => r.ref !== d.version && r.givenUp === null)?.ref ?? d.version;
}
