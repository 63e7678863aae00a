import type { GitHubDeploymentRecord } from '../../store/types.js';
import { CredentialsRefused, type GitHubRefusal } from './client.js';
import type { PlannedStatus } from './plan.js';

/** Why a deployment is not reported, as the log says it once: what GitHub said, what to do. */
export function refusedCreate(err: GitHubRefusal, rec: GitHubDeploymentRecord): string {
  if (err instanceof CredentialsRefused) return err.message;
  const repo = rec.repository;
  const said = err.message;
  switch (err.httpStatus) {
    case 422:
      if (/no ref found/i.test(said))
        return `GitHub has no ref "${rec.ref}" in ${repo} (${said}): have CI send the build's commit to /hooks/build ("commit"), or tag ${repo} with the versions Slipway deploys`;
      return `GitHub refused the deployment of "${rec.ref}" to ${rec.githubEnvironment} in ${repo} (${said})`;
    case 409:
      return `GitHub refused the deployment of "${rec.ref}" in ${repo} (${said})`;
    case 401:
      return `GitHub rejected Slipway's token (${said}): set GITHUB_TOKEN (or GITHUB_TOKEN_FILE) to a valid token with deployments:write on ${repo}`;
    case 403:
      return `GitHub refused to create a deployment in ${repo} (${said}): give Slipway's token deployments:write on it (fine-grained: "Deployments" read and write; classic: repo_deployment), or the GitHub App the Deployments permission`;
    case 404:
      return `GitHub found no repository ${repo} (${said}): check services[].github.repository, and that Slipway's token or GitHub App can see it`;
    default:
      return `GitHub refused to create the deployment in ${repo} (${said})`;
  }
}

export function refusedStatus(
  err: GitHubRefusal,
  rec: GitHubDeploymentRecord,
  status: PlannedStatus,
): string {
  if (err instanceof CredentialsRefused) return err.message;
  if (err.httpStatus === 404)
    return `GitHub deployment ${rec.githubId} in ${rec.repository} is gone (${err.message}): it was deleted on GitHub`;
  return `GitHub refused the ${status.state} status of deployment ${rec.githubId} in ${rec.repository} (${err.message})`;
}
