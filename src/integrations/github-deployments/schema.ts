import { z } from 'zod';

/**
 * GitHub's names (docs.github.com/repositories/creating-and-managing-repositories): an owner is
 * 1–39 letters, digits or single hyphens, not at either end; a repository 1–100 letters, digits,
 * `.`, `_` or `-`, other than `.` and `..`.
 */
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const REPO = /^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;

export const Repository = z
  .string()
  .superRefine((value, ctx) => {
    const problem = repositoryProblem(value);
    if (problem)
      ctx.addIssue({ code: 'custom', message: problem.message, params: { fix: problem.fix } });
  })
  .describe('The GitHub repository the service is built from, as owner/name ("acme/web").');

export function repositoryProblem(value: string): { message: string; fix: string } | null {
  const url = /^(?:https?:\/\/[^/]+\/|git@[^:]+:)([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(value);
  if (url?.[1]) return { message: `"${value}" is a URL, not owner/name`, fix: `write "${url[1]}"` };
  const [owner, name, ...rest] = value.split('/');
  if (owner === undefined || name === undefined || rest.length > 0)
    return {
      message: `"${value}" is not owner/name`,
      fix: 'write the owner and the repository name with one slash between them, e.g. "acme/web"',
    };
  if (!OWNER.test(owner))
    return {
      message: `"${owner}" is not a GitHub user or organization name`,
      fix: 'use 1 to 39 letters, digits or single hyphens, not starting or ending with a hyphen',
    };
  if (!REPO.test(name))
    return {
      message: `"${name}" is not a GitHub repository name`,
      fix: 'use up to 100 letters, digits, ".", "_" or "-"',
    };
  return null;
}

export const GitHubEnvironmentOptions = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(255, 'GitHub environment names are at most 255 characters')
      .optional()
      .describe("The environment's name on GitHub. Default: the Slipway environment's name."),
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'write a URL such as "https://staging.example.com"')
      .optional()
      .describe(
        "Where the environment is reached: a successful deployment's environment_url. A preview's own address (the driver's) comes first.",
      ),
    production: z
      .boolean()
      .optional()
      .describe(
        "Whether GitHub counts the environment as production (production_environment). Default: the Slipway environment's `protected`.",
      ),
    transient: z
      .boolean()
      .optional()
      .describe(
        'Whether each deployment here is a preview that goes away (transient_environment): it is marked inactive ("destroyed") when its review is closed and its preview torn down. Default: false.',
      ),
  })
  .strict();
export type GitHubEnvironmentOptions = z.infer<typeof GitHubEnvironmentOptions>;

/** `services[].github`: report this service's deployments to GitHub's Deployments API. */
export const GitHubReporting = z
  .object({
    repository: Repository,
    environments: z
      .record(z.string(), GitHubEnvironmentOptions)
      .default({})
      .describe(
        'Per Slipway environment: its GitHub name, URL, and whether it is production or transient (previews).',
      ),
  })
  .strict()
  .describe(
    "Report this service's deployments to the repository's GitHub Deployments (GITHUB_TOKEN, or a GitHub App, with deployments:write).",
  );
export type GitHubReporting = z.infer<typeof GitHubReporting>;

/** `201` of `POST /repos/{owner}/{repo}/deployments` (the fields Slipway reads). */
export const CreatedDeployment = z.object({ id: z.number().int(), sha: z.string() }).loose();

/** `202`: GitHub merged the default branch into the ref instead of deploying. */
export const MergedBranch = z.object({ message: z.string() }).loose();

/** One item of `GET /repos/{owner}/{repo}/deployments`. */
export const ListedDeployment = z
  .object({ id: z.number().int(), payload: z.unknown(), created_at: z.string() })
  .loose();

/** One item of `GET …/deployments/{id}/statuses`. */
export const ListedStatus = z
  .object({ id: z.number().int(), state: z.string(), description: z.string().nullish() })
  .loose();

/** `201` of `POST /app/installations/{id}/access_tokens`. */
export const InstallationToken = z
  .object({ token: z.string().min(1), expires_at: z.string() })
  .loose();
