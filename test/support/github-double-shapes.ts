/**
 * The objects GitHub nests in its answers and webhooks (users, repositories, commits), whole:
 * every property @octokit/openapi's `simple-user`, `minimal-repository`, `nullable-simple-commit`
 * and @octokit/openapi-webhooks' `repository-webhooks` require, so that the double's answers pass
 * GitHub's own description (github-double-spec.ts). Values follow GitHub's examples in it.
 */

export interface RepositoryShape extends Record<string, unknown> {
  id: number;
  name: string;
  full_name: string;
  owner: Record<string, unknown> & { login: string };
}

const WEB = 'https://github.com';

/** A user or bot as GitHub nests it (`simple-user`), its URLs under `api`. */
export function userShape(
  api: string,
  login: string,
  id: number,
  type: 'User' | 'Bot' | 'Organization' = 'User',
): Record<string, unknown> & { login: string } {
  const url = `${api}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: `${type === 'Bot' ? 'BOT' : 'U'}_${Buffer.from(String(id)).toString('base64')}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${WEB}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    site_admin: false,
  };
}

/** The bot Slipway's token stands for, as the double's answers name it. */
export function botShape(api: string) {
  return userShape(api, 'slipway-bot', 4242, 'Bot');
}

const URL_TEMPLATES: Record<string, string> = {
  archive_url: '/{archive_format}{/ref}',
  assignees_url: '/assignees{/user}',
  blobs_url: '/git/blobs{/sha}',
  branches_url: '/branches{/branch}',
  collaborators_url: '/collaborators{/collaborator}',
  comments_url: '/comments{/number}',
  commits_url: '/commits{/sha}',
  compare_url: '/compare/{base}...{head}',
  contents_url: '/contents/{+path}',
  contributors_url: '/contributors',
  deployments_url: '/deployments',
  downloads_url: '/downloads',
  events_url: '/events',
  forks_url: '/forks',
  git_commits_url: '/git/commits{/sha}',
  git_refs_url: '/git/refs{/sha}',
  git_tags_url: '/git/tags{/sha}',
  hooks_url: '/hooks',
  issue_comment_url: '/issues/comments{/number}',
  issue_events_url: '/issues/events{/number}',
  issues_url: '/issues{/number}',
  keys_url: '/keys{/key_id}',
  labels_url: '/labels{/name}',
  languages_url: '/languages',
  merges_url: '/merges',
  milestones_url: '/milestones{/number}',
  notifications_url: '/notifications{?since,all,participating}',
  pulls_url: '/pulls{/number}',
  releases_url: '/releases{/id}',
  stargazers_url: '/stargazers',
  statuses_url: '/statuses/{sha}',
  subscribers_url: '/subscribers',
  subscription_url: '/subscription',
  tags_url: '/tags',
  teams_url: '/teams',
  trees_url: '/git/trees{/sha}',
};

/**
 * A repository with what both `minimal-repository` (REST) and `repository-webhooks` (webhooks)
 * require: the second is a superset of the first.
 */
export function repositoryShape(
  api: string,
  owner: string,
  name: string,
  id: number,
  defaultBranch: string,
): RepositoryShape {
  const fullName = `${owner}/${name}`;
  const url = `${api}/repos/${fullName}`;
  const urls = Object.fromEntries(
    Object.entries(URL_TEMPLATES).map(([key, tail]) => [key, `${url}${tail}`]),
  );
  return {
    id,
    node_id: `R_${Buffer.from(String(id)).toString('base64')}`,
    name,
    full_name: fullName,
    private: true,
    owner: userShape(api, owner, 9_000_001, 'Organization'),
    html_url: `${WEB}/${fullName}`,
    description: null,
    fork: false,
    url,
    ...urls,
    git_url: `git://github.com/${fullName}.git`,
    ssh_url: `git@github.com:${fullName}.git`,
    clone_url: `${WEB}/${fullName}.git`,
    svn_url: `${WEB}/${fullName}`,
    mirror_url: null,
    homepage: null,
    language: null,
    default_branch: defaultBranch,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 108,
    open_issues: 0,
    open_issues_count: 0,
    has_issues: true,
    has_projects: true,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    visibility: 'private',
    license: null,
    pushed_at: '2026-01-05T09:00:00Z',
    created_at: '2024-03-01T10:00:00Z',
    updated_at: '2026-01-05T09:00:00Z',
  };
}

/** The head commit GitHub nests in a run (`nullable-simple-commit`). */
export function commitShape(sha: string, message: string, at: string): Record<string, unknown> {
  const person = { name: 'Slipway', email: 'slipway@example.com' };
  return {
    id: sha,
    tree_id: sha.split('').reverse().join(''),
    message,
    timestamp: at,
    author: person,
    committer: person,
  };
}

/** The workflow as a `workflow_run` webhook nests it (`webhooks_workflow`). */
export function workflowShape(
  api: string,
  fullName: string,
  workflow: { id: number; name: string } | undefined,
  run: { workflow_id: number; name?: unknown; path?: unknown },
): Record<string, unknown> {
  const id = workflow?.id ?? run.workflow_id;
  return {
    id,
    node_id: `W_${Buffer.from(String(id)).toString('base64')}`,
    name: workflow?.name ?? String(run.name),
    path: run.path,
    state: 'active',
    created_at: '2024-03-01T10:00:00Z',
    updated_at: '2024-03-01T10:00:00Z',
    url: `${api}/repos/${fullName}/actions/workflows/${id}`,
    html_url: `https://github.com/${fullName}/blob/main/${String(run.path)}`,
    badge_url: `https://github.com/${fullName}/workflows/${encodeURIComponent(workflow?.name ?? '')}/badge.svg`,
  };
}
