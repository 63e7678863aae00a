import { createHash } from 'node:crypto';
import { botShape } from './github-double-shapes.js';

/**
 * Deployments and deployment statuses of the GitHub double (github-double.ts), as the REST API
 * has them (docs.github.com/rest/deployments/deployments, …/deployments/statuses; the shapes are
 * those of @octokit/openapi-types' `deployment` and `deployment-status`):
 *
 * - `POST …/deployments` resolves `ref` (a branch, a tag, or a commit SHA, abbreviated to 7 or
 *   more digits when unambiguous) and answers 422 "No ref found for: x" when it names nothing.
 *   With `auto_merge` (default true) a branch behind the default branch is merged instead: 202
 *   "Auto-merged …", or 409 when that merge conflicts. Without `required_contexts` every commit
 *   status context of the commit must be `success`, else 409. Otherwise 201 with the deployment;
 *   `production_environment` defaults to true for the environment named `production`.
 * - `POST …/deployments/{id}/statuses` takes the seven documented states, a description of at
 *   most 140 characters, `log_url` (which also sets `target_url`), `environment_url` and
 *   `auto_inactive`: a `success` adds an `inactive` status to earlier non-transient,
 *   non-production deployments of the same environment whose latest state is `success`, unless
 *   `auto_inactive` is false.
 * - `GET …/deployments` (filters sha, ref, task, environment; newest first) and
 *   `GET …/deployments/{id}/statuses` (newest first), paged by `per_page` (at most 100) and `page`.
 *
 * Stricter than GitHub on purpose: `log_url`, `target_url` and `environment_url` must be http(s)
 * URLs when given, since Slipway only ever sends those.
 */

export const DEPLOYMENT_STATES = [
  'error',
  'failure',
  'inactive',
  'in_progress',
  'queued',
  'pending',
  'success',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export interface DoubleDeploymentStatus {
  id: number;
  state: DeploymentState;
  description: string;
  environment: string;
  environment_url: string;
  log_url: string;
  target_url: string;
  /** Added by GitHub itself (auto_inactive), not posted by a client. */
  automatic: boolean;
  created_at: string;
}

export interface DoubleDeployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  environment: string;
  description: string | null;
  transient_environment: boolean;
  production_environment: boolean;
  created_at: string;
  /** Oldest first. */
  statuses: DoubleDeploymentStatus[];
}

export interface RepositoryRefs {
  defaultBranch: string;
  branches: string[];
  tags: string[];
  /** Full SHAs of commits that exist besides the branch and tag heads. */
  commits: string[];
  /** Branches behind the default branch: auto_merge merges it into them first. */
  behind: string[];
  /** Branches whose merge with the default branch conflicts. */
  conflicting: string[];
  /** Commit statuses by SHA: context → state. */
  commitStatuses: Record<string, Record<string, string>>;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Refuse = (status: number, message: string, extra?: Record<string, unknown>) => Answer;

const MAX_DESCRIPTION = 140;

export interface DeploymentsState {
  all(): DoubleDeployment[];
  create(body: unknown, creator: string): Answer;
  postStatus(id: number, body: unknown): Answer;
  list(query: Record<string, string>): Answer;
  listStatuses(id: number, query: Record<string, string>): Answer;
  get(id: number): Answer;
}

/** The SHA a ref name stands for in the double: stable, derived from its name. */
export function shaOf(name: string): string {
  return createHash('sha1').update(`double:${name}`).digest('hex');
}

export function createDeploymentsState(deps: {
  refs: RepositoryRefs;
  apiUrl(): string;
  fullName: string;
  refuse: Refuse;
}): DeploymentsState {
  const { refs, refuse } = deps;
  const deployments: DoubleDeployment[] = [];
  let nextDeploymentId = 1_500_000_001;
  let nextStatusId = 4_200_000_001;
  const repoUrl = () => `${deps.apiUrl()}/repos/${deps.fullName}`;

  function resolve(ref: string): { sha: string; branch: string | null } | null {
    const name = ref.replace(/^refs\/(heads|tags)\//, '');
    if (refs.branches.includes(name)) return { sha: shaOf(name), branch: name };
    if (refs.tags.includes(name)) return { sha: shaOf(`tag:${name}`), branch: null };
    if (/^[0-9a-f]{7,40}$/i.test(ref)) {
      const known = [
        ...refs.commits,
        ...refs.branches.map(shaOf),
        ...refs.tags.map((t) => shaOf(`tag:${t}`)),
      ];
      const matches = known.filter((sha) => sha.startsWith(ref.toLowerCase()));
      if (matches.length === 1 && matches[0]) return { sha: matches[0], branch: null };
    }
    return null;
  }

  function render(d: DoubleDeployment) {
    const url = `${repoUrl()}/deployments/${d.id}`;
    return {
      url,
      id: d.id,
      node_id: `DE_${Buffer.from(String(d.id)).toString('base64')}`,
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload,
      original_environment: d.environment,
      environment: d.environment,
      description: d.description,
      creator: botShape(deps.apiUrl()),
      created_at: d.created_at,
      updated_at: d.statuses.at(-1)?.created_at ?? d.created_at,
      statuses_url: `${url}/statuses`,
      repository_url: repoUrl(),
      transient_environment: d.transient_environment,
      production_environment: d.production_environment,
      performed_via_github_app: null,
    };
  }

  function renderStatus(d: DoubleDeployment, s: DoubleDeploymentStatus) {
    const url = `${repoUrl()}/deployments/${d.id}`;
    return {
      url: `${url}/statuses/${s.id}`,
      id: s.id,
      node_id: `DES_${Buffer.from(String(s.id)).toString('base64')}`,
      state: s.state,
      creator: botShape(deps.apiUrl()),
      description: s.description,
      environment: s.environment,
      target_url: s.target_url,
      created_at: s.created_at,
      updated_at: s.created_at,
      deployment_url: url,
      repository_url: repoUrl(),
      environment_url: s.environment_url,
      log_url: s.log_url,
      performed_via_github_app: null,
    };
  }

  function addStatus(
    d: DoubleDeployment,
    state: DeploymentState,
    fields: Partial<DoubleDeploymentStatus> = {},
  ): DoubleDeploymentStatus {
    const status: DoubleDeploymentStatus = {
      id: nextStatusId++,
      state,
      description: '',
      environment: d.environment,
      environment_url: '',
      log_url: '',
      target_url: '',
      automatic: false,
      created_at: isoNow(),
      ...fields,
    };
    d.statuses.push(status);
    return status;
  }

  function validation(field: string, message: string): Answer {
    return refuse(422, 'Validation Failed', {
      errors: [{ resource: 'DeploymentStatus', code: 'custom', field, message }],
    });
  }

  function page<T>(items: T[], query: Record<string, string>): Answer {
    const perPage = Math.min(100, Math.max(1, Number(query.per_page ?? 30)));
    const number = Math.max(1, Number(query.page ?? 1));
    return { status: 200, body: items.slice((number - 1) * perPage, number * perPage) };
  }

  return {
    all: () => deployments.map((d) => ({ ...d, statuses: [...d.statuses] })),

    create(raw, _creator) {
      if (!isObject(raw)) return refuse(400, 'Problems parsing JSON');
      const body = raw as Record<string, unknown>;
      if (typeof body.ref !== 'string' || body.ref === '')
        return refuse(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
      for (const flag of ['auto_merge', 'transient_environment', 'production_environment']) {
        if (body[flag] !== undefined && typeof body[flag] !== 'boolean')
          return refuse(
            422,
            `Invalid request.\n\nFor 'properties/${flag}', ${JSON.stringify(body[flag])} is not a boolean.`,
          );
      }
      if (
        body.required_contexts !== undefined &&
        !(
          Array.isArray(body.required_contexts) &&
          body.required_contexts.every((c) => typeof c === 'string')
        )
      )
        return refuse(
          422,
          `Invalid request.\n\nFor 'properties/required_contexts', ${JSON.stringify(body.required_contexts)} is not an array of strings.`,
        );
      if (
        body.payload !== undefined &&
        typeof body.payload !== 'string' &&
        !(isObject(body.payload) && !Array.isArray(body.payload))
      )
        return refuse(
          422,
          `Invalid request.\n\nFor 'properties/payload', ${JSON.stringify(body.payload)} is not an object or a string.`,
        );
      const target = resolve(body.ref);
      if (!target) return refuse(422, `No ref found for: ${body.ref}`);
      const branch = target.branch;
      if (
        body.auto_merge !== false &&
        branch &&
        branch !== refs.defaultBranch &&
        refs.behind.includes(branch)
      ) {
        if (refs.conflicting.includes(branch))
          return refuse(409, `Conflict merging ${refs.defaultBranch} into ${branch}.`);
        refs.behind = refs.behind.filter((b) => b !== branch);
        return {
          status: 202,
          body: { message: `Auto-merged ${refs.defaultBranch} into ${branch} on deployment.` },
        };
      }
      const statuses = refs.commitStatuses[target.sha] ?? {};
      const required = (body.required_contexts as string[] | undefined) ?? Object.keys(statuses);
      const failing = required.filter((context) => statuses[context] !== 'success');
      if (failing.length > 0)
        return refuse(409, `Conflict: Commit status checks failed for ${body.ref}.`, {
          errors: [
            {
              contexts: failing.map((context) => ({
                context,
                state: statuses[context] ?? 'missing',
              })),
              resource: 'Deployment',
              field: 'required_contexts',
              code: 'invalid',
            },
          ],
        });
      const environment = typeof body.environment === 'string' ? body.environment : 'production';
      const deployment: DoubleDeployment = {
        id: nextDeploymentId++,
        sha: target.sha,
        ref: body.ref,
        task: typeof body.task === 'string' ? body.task : 'deploy',
        payload: body.payload ?? {},
        environment,
        description: typeof body.description === 'string' ? body.description : null,
        transient_environment: body.transient_environment === true,
        production_environment:
          typeof body.production_environment === 'boolean'
            ? body.production_environment
            : environment === 'production',
        created_at: isoNow(),
        statuses: [],
      };
      deployments.push(deployment);
      return { status: 201, body: render(deployment) };
    },

    postStatus(id, raw) {
      const d = deployments.find((x) => x.id === id);
      if (!d) return refuse(404, 'Not Found');
      if (!isObject(raw)) return refuse(400, 'Problems parsing JSON');
      const body = raw as Record<string, unknown>;
      if (!DEPLOYMENT_STATES.includes(body.state as DeploymentState))
        return refuse(
          422,
          `Invalid request.\n\nFor 'properties/state', ${JSON.stringify(body.state)} is not one of ${DEPLOYMENT_STATES.join(', ')}.`,
        );
      const text = (name: string): string | Answer => {
        const value = body[name];
        if (value === undefined) return '';
        if (typeof value !== 'string')
          return refuse(
            422,
            `Invalid request.\n\nFor 'properties/${name}', ${JSON.stringify(value)} is not a string.`,
          );
        return value;
      };
      const fields: Record<string, string> = {};
      for (const name of ['description', 'log_url', 'target_url', 'environment_url']) {
        const value = text(name);
        if (typeof value !== 'string') return value;
        fields[name] = value;
      }
      const description = fields.description ?? '';
      if (description.length > MAX_DESCRIPTION)
        return validation(
          'description',
          `description is too long (maximum is ${MAX_DESCRIPTION} characters)`,
        );
      for (const name of ['log_url', 'target_url', 'environment_url']) {
        const value = fields[name] ?? '';
        if (value && !/^https?:\/\/\S+$/.test(value))
          return validation(name, `${name} must be a valid URL`);
      }
      if (body.auto_inactive !== undefined && typeof body.auto_inactive !== 'boolean')
        return refuse(
          422,
          `Invalid request.\n\nFor 'properties/auto_inactive', ${JSON.stringify(body.auto_inactive)} is not a boolean.`,
        );
      const state = body.state as DeploymentState;
      const logUrl = fields.log_url || fields.target_url || '';
      const status = addStatus(d, state, {
        description,
        environment_url: fields.environment_url ?? '',
        log_url: logUrl,
        target_url: logUrl,
      });
      if (state === 'success' && body.auto_inactive !== false) {
        for (const other of deployments) {
          if (other === d || other.environment !== d.environment || other.id > d.id) continue;
          if (other.transient_environment || other.production_environment) continue;
          if (other.statuses.at(-1)?.state !== 'success') continue;
          addStatus(other, 'inactive', { automatic: true });
        }
      }
      return {
        status: 201,
        body: renderStatus(d, status),
        headers: { location: `${repoUrl()}/deployments/${d.id}/statuses/${status.id}` },
      };
    },

    list(query) {
      const matching = deployments
        .filter((d) => !query.sha || d.sha === query.sha)
        .filter((d) => !query.ref || d.ref === query.ref)
        .filter((d) => !query.task || d.task === query.task)
        .filter((d) => !query.environment || d.environment === query.environment)
        .sort((a, b) => b.id - a.id)
        .map(render);
      return page(matching, query);
    },

    listStatuses(id, query) {
      const d = deployments.find((x) => x.id === id);
      if (!d) return refuse(404, 'Not Found');
      return page(
        [...d.statuses].reverse().map((s) => renderStatus(d, s)),
        query,
      );
    },

    get(id) {
      const d = deployments.find((x) => x.id === id);
      return d ? { status: 200, body: render(d) } : refuse(404, 'Not Found');
    },
  };
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
