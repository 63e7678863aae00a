import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAppState, type DoubleApp, type IssuedToken } from './github-double-app.js';
import {
  type Answer,
  createDeploymentsState,
  type DoubleDeployment,
  type RepositoryRefs,
} from './github-double-deployments.js';
import { dispatchWorkflow, type RunDetailsMode } from './github-double-dispatch.js';
import { type ExpectedCall, verifyCalls, verifySpec } from './github-double-expect.js';
import {
  createActionsState,
  createdFilter,
  type DoubleWorkflow,
  type Run,
  type RunPlan,
} from './github-double-runs.js';
import { botShape, repositoryShape, workflowShape } from './github-double-shapes.js';
import {
  checkRequest,
  checkResponse,
  checkWebhook,
  describeViolation,
  type Operation,
  prepareDoubleChecks,
  type SpecViolation,
} from './github-double-spec.js';

export type { DoubleApp, IssuedToken } from './github-double-app.js';
export type { DoubleDeployment, DoubleDeploymentStatus } from './github-double-deployments.js';
export { shaOf } from './github-double-deployments.js';
export type { RunDetailsMode } from './github-double-dispatch.js';
export type { ExpectedCall } from './github-double-expect.js';
export type { DoubleWorkflow, JobPlan, RunPlan } from './github-double-runs.js';
export type { SpecViolation } from './github-double-spec.js';

/**
 * A local stand-in for GitHub's Actions REST API and its `workflow_run` webhooks, for the
 * github-actions driver. It follows the documented shapes and status codes of the endpoints the
 * driver uses (docs.github.com/rest/actions/workflows, …/workflow-runs, …/workflow-jobs),
 * refuses what GitHub refuses (credentials, unknown workflow or ref, undeclared or missing
 * inputs, more than 25 inputs), runs each dispatch through queued → in_progress → completed,
 * signs webhooks as GitHub does, records every call, and injects GitHub's failure modes.
 * It also keeps the repository's deployments and their statuses (github-double-deployments.ts)
 * and, with `app`, issues GitHub App installation tokens for a signed JWT
 * (github-double-app.ts). A test may declare the calls it expects (`expect`): `verify` then
 * fails on any expected call that was not made and any call that was not expected.
 *
 * Every request, answer and webhook is held to GitHub's own OpenAPI description
 * (github-double-spec.ts, github-double.md): a request it does not allow is refused as GitHub
 * refuses it, and every departure, Slipway's or the double's own, is kept in `violations`;
 * `verify` and `close` throw while any is there, so the test that caused it fails.
 *
 * Stricter than GitHub on purpose: input values must be strings (the driver only sends strings)
 * and a malformed `created` filter is a 422 rather than ignored.
 */

export interface Dispatch {
  workflow: DoubleWorkflow;
  ref: string;
  inputs: Record<string, string>;
}

/** An answer forced on the next matching request(s), instead of the normal one. */
export interface Fault {
  method?: string;
  path?: RegExp;
  status: number;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Primary rate limit: x-ratelimit-remaining 0 and a reset this many seconds away. */
  resetIn?: number;
  message?: string;
  times?: number;
  /** The request is carried out before the fault is answered (the 5xx came after the work). */
  processed?: boolean;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** Scheme of the Authorization header ("bearer", "token"), never the token. */
  auth: string | null;
  /**
   * Who the credentials stand for, never the token: `token` (the personal token), `jwt` (the
   * app's JWT), `installation#<n>` (the n-th installation token issued), or null (none valid).
   */
  principal: string | null;
  status: number;
}

export interface Delivery {
  event: string;
  action: string | undefined;
  runId: number | undefined;
  /** `invalid`: not sent, the payload is not what GitHub's webhook description allows. */
  status: number | 'unreachable' | 'invalid';
}

export interface DoubleOptions {
  owner: string;
  repo: string;
  token: string;
  /** Tokens that may read but not write (403 on dispatch, cancel and deployments). */
  readOnlyTokens?: string[];
  /** Branches; the first is the default branch. */
  branches?: string[];
  tags?: string[];
  /** Full SHAs of commits deployments may name besides branch and tag heads. */
  commits?: string[];
  /** Branches behind the default branch (auto_merge merges it first), and those that conflict. */
  behind?: string[];
  conflicting?: string[];
  /** Commit statuses by SHA (context → state), checked unless required_contexts says otherwise. */
  commitStatuses?: Record<string, Record<string, string>>;
  workflows?: DoubleWorkflow[];
  webhook?: { url: string; secret: string };
  /** A GitHub App installed on the repository: installation tokens for its JWT. */
  app?: DoubleApp;
  /**
   * How a dispatch's `return_run_details` is answered: `returned` (default, as github.com),
   * `ignored` (always 204) or `rejected` (422, as GitHub Enterprise Server 3.19).
   */
  runDetails?: RunDetailsMode;
}

export interface GitHubDouble {
  /** API root to give the driver as GITHUB_API_URL. */
  url: string;
  calls: RecordedCall[];
  deliveries: Delivery[];
  /** Departures from GitHub's descriptions so far: requests, answers and webhooks. */
  violations: SpecViolation[];
  /** Returns the violations so far and forgets them: for a test that made them on purpose. */
  takeViolations(): SpecViolation[];
  runs(): Record<string, unknown>[];
  called(method: string, path: RegExp): RecordedCall[];
  /** How the next dispatches' runs behave, in order; then the default (one job, success). */
  planNext(...plans: RunPlan[]): void;
  inject(fault: Fault): void;
  /** Injected faults no request has met yet: a test that expected them to be hit fails. */
  unusedFaults(): Fault[];
  /** GitHub is back: faults not met yet are dropped. */
  clearFaults(): void;
  setWebhook(webhook: { url: string; secret: string } | null): void;
  /** Sends a ping, as GitHub does when a webhook is created. */
  ping(): Promise<Delivery>;
  /** Adds a run nobody dispatched through the double (someone else's, from the UI). */
  addForeignRun(title: string, workflowId?: number): Record<string, unknown>;
  /** Lets a run planned with `holdQueued` leave the queue; throws when it is not held. */
  releaseRun(runId: number): void;
  /** The repository's deployments, oldest first, each with its statuses oldest first. */
  deployments(): DoubleDeployment[];
  /** Installation tokens issued so far (with `app`). */
  issuedTokens(): IssuedToken[];
  /** Makes every installation token issued so far invalid (401 from then on). */
  revokeInstallationTokens(): void;
  /** Declares calls the test expects; once any is declared, `verify` checks every call. */
  expect(...calls: ExpectedCall[]): void;
  /**
   * Throws, listing them, when an expected call was not made or a call was not expected, or when
   * a request, answer or webhook departed from GitHub's description.
   */
  verify(): void;
  /** Stops the double, then throws if any departure from GitHub's description is left. */
  close(): Promise<void>;
}

/** The run-name the github-actions driver's README asks for. */
export const SLIPWAY_RUN_NAME =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions, not a JS template
  'deploy ${{ inputs.version }} to ${{ inputs.environment }} [${{ inputs.correlation_id }}]';

/** A deploy workflow as the driver's README describes it, with the inputs Slipway sends. */
export function slipwayWorkflow(overrides: Partial<DoubleWorkflow> = {}): DoubleWorkflow {
  return {
    id: 161335,
    file: 'deploy.yml',
    name: 'Deploy',
    inputs: {
      version: { required: true },
      environment: { required: true },
      correlation_id: { required: true },
    },
    runName: SLIPWAY_RUN_NAME,
    ...overrides,
  };
}

// GitHub's error bodies carry a documentation_url and, since 2023, the status as a string.
const DOCS = 'https://docs.github.com/rest/actions';

export async function startGitHubDouble(options: DoubleOptions): Promise<GitHubDouble> {
  const branches = options.branches ?? ['main'];
  const workflows = options.workflows ?? [];
  const calls: RecordedCall[] = [];
  const expected: ExpectedCall[] = [];
  const deliveries: Delivery[] = [];
  const violations: SpecViolation[] = [];
  /** The operation each answer is for, so that `send` can hold the answer to it. */
  const answering = new WeakMap<Sink, { operation: Operation; subject: string }>();
  const plans: RunPlan[] = [];
  const faults: (Fault & { left: number })[] = [];
  let webhook = options.webhook ?? null;
  let deliveryChain: Promise<unknown> = Promise.resolve();
  let baseUrl = '';
  const fullName = `${options.owner}/${options.repo}`;
  // Filled in whole once the double's address is known (runs and webhooks hold this object).
  const repository = repositoryShape(
    '',
    options.owner,
    options.repo,
    1296269,
    branches[0] ?? 'main',
  );

  const actions = createActionsState({ repository, apiUrl: () => baseUrl, onRunEvent: runEvent });
  const runs = actions.runs;
  const app = options.app ? createAppState(options.app) : null;
  const refs: RepositoryRefs = {
    defaultBranch: branches[0] ?? 'main',
    branches,
    tags: options.tags ?? [],
    commits: options.commits ?? [],
    behind: [...(options.behind ?? [])],
    conflicting: options.conflicting ?? [],
    commitStatuses: options.commitStatuses ?? {},
  };

  function send(res: Sink, status: number, body?: unknown, headers = {}) {
    const request = answering.get(res);
    const wrong = request ? checkResponse(request.operation, request.subject, status, body) : [];
    if (wrong.length > 0) {
      // The double's own mistake: answered as such, so that nothing builds on the wrong answer.
      violations.push(...wrong);
      answering.delete(res);
      const said = wrong.map(describeViolation).join('; ');
      return send(res, 500, {
        message: `The GitHub double answered against GitHub's description: ${said}`,
      });
    }
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      'x-github-api-version-selected': '2022-11-28',
      ...headers,
    });
    res.end(text);
  }
  const refuse = (res: Sink, status: number, message: string, headers = {}) =>
    send(res, status, { message, documentation_url: DOCS, status: String(status) }, headers);
  const deploymentsState = createDeploymentsState({
    refs,
    apiUrl: () => baseUrl,
    fullName,
    refuse: (status, message, extra = {}) => ({
      status,
      body: {
        message,
        ...extra,
        documentation_url: 'https://docs.github.com/rest/deployments',
        status: String(status),
      },
    }),
  });
  const answer = (res: Sink, a: Answer) => send(res, a.status, a.body, a.headers ?? {});

  function workflowOf(ref: string): DoubleWorkflow | undefined {
    return workflows.find((w) => w.file === ref || String(w.id) === ref);
  }

  function deliver(event: string, payload: Record<string, unknown>, run?: Run): Promise<Delivery> {
    const hook = webhook;
    const record: Delivery = {
      event,
      action: payload.action as string | undefined,
      runId: run?.id,
      status: 'unreachable',
    };
    const sent = deliveryChain.then(async () => {
      if (!hook) return record;
      const wrong = checkWebhook(event, payload);
      if (wrong.length > 0) {
        violations.push(...wrong);
        record.status = 'invalid';
        deliveries.push(record);
        return record;
      }
      const body = JSON.stringify(payload);
      try {
        const answer = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'GitHub-Hookshot/double',
            'x-github-event': event,
            'x-github-delivery': randomUUID(),
            'x-github-hook-id': '4242',
            'x-github-hook-installation-target-type': 'repository',
            'x-github-hook-installation-target-id': String(repository.id),
            'x-hub-signature': `sha1=${createHmac('sha1', hook.secret).update(body).digest('hex')}`,
            'x-hub-signature-256': `sha256=${createHmac('sha256', hook.secret).update(body).digest('hex')}`,
          },
          body,
          // GitHub gives up on a delivery after 10 s and does not retry it by itself.
          signal: AbortSignal.timeout(10_000),
        });
        await answer.arrayBuffer();
        record.status = answer.status;
      } catch {
        record.status = 'unreachable';
      }
      deliveries.push(record);
      return record;
    });
    deliveryChain = sent;
    return sent;
  }

  function runEvent(action: string, run: Run, plan: RunPlan) {
    if (plan.withholdWebhooks || !webhook) return;
    const workflow = workflows.find((w) => w.id === run.workflow_id);
    void deliver(
      'workflow_run',
      {
        action,
        workflow_run: { ...run },
        workflow: workflowShape(baseUrl, fullName, workflow, run),
        repository,
        sender: botShape(baseUrl),
      },
      run,
    );
  }

  function dispatch(req: Parsed, res: Sink, workflow: DoubleWorkflow) {
    const runDetails = options.runDetails ?? 'returned';
    const nextPlan = () => plans.shift() ?? {};
    answer(res, dispatchWorkflow(req.body, workflow, { branches, runDetails, nextPlan, actions }));
  }

  function listRuns(req: Parsed, res: Sink, workflow: DoubleWorkflow) {
    const q = req.query;
    const created = q.created ? createdFilter(q.created) : () => true;
    if (!created) return refuse(res, 422, `Invalid created filter: ${q.created}`);
    const perPage = Math.min(100, Number(q.per_page ?? 30));
    const page = Math.max(1, Number(q.page ?? 1));
    const matching = runs
      .filter((r) => r.workflow_id === workflow.id)
      .filter((r) => !q.event || r.event === q.event)
      .filter((r) => !q.branch || r.head_branch === q.branch)
      .filter((r) => !q.status || r.status === q.status || r.conclusion === q.status)
      .filter((r) => created(String(r.created_at)))
      .sort((a, b) => b.id - a.id);
    send(res, 200, {
      total_count: matching.length,
      workflow_runs: matching.slice((page - 1) * perPage, page * perPage),
    });
  }

  function cancel(res: Sink, run: Run) {
    if (run.status === 'completed')
      return refuse(res, 409, 'Cannot cancel a workflow run that is completed.');
    send(res, 202, {});
    actions.cancel(run);
  }

  /** `/repos/{owner}/{repo}/deployments[/{id}[/statuses]]`; false when the path is another. */
  function routeDeployments(req: Parsed, res: Sink, principal: string): boolean {
    const m = /^\/repos\/([^/]+)\/([^/]+)\/deployments(?:\/(\d+)(\/statuses)?)?$/.exec(req.path);
    if (!m) return false;
    if (`${m[1]}/${m[2]}`.toLowerCase() !== fullName.toLowerCase()) {
      refuse(res, 404, 'Not Found');
      return true;
    }
    if (req.method === 'POST') {
      const denied = writeDenied(req, principal, 'deployments');
      if (denied) {
        refuse(res, 403, denied);
        return true;
      }
    }
    const id = m[3] === undefined ? null : Number(m[3]);
    if (id === null && req.method === 'POST')
      answer(res, deploymentsState.create(req.body, principal));
    else if (id === null && req.method === 'GET') answer(res, deploymentsState.list(req.query));
    else if (id !== null && !m[4] && req.method === 'GET') answer(res, deploymentsState.get(id));
    else if (id !== null && m[4] && req.method === 'POST')
      answer(res, deploymentsState.postStatus(id, req.body));
    else if (id !== null && m[4] && req.method === 'GET')
      answer(res, deploymentsState.listStatuses(id, req.query));
    else refuse(res, 404, 'Not Found');
    return true;
  }

  /** Why a write is refused for these credentials, or null when it is allowed. */
  function writeDenied(req: Parsed, principal: string, permission: string): string | null {
    if (options.readOnlyTokens?.includes(req.token ?? ''))
      return 'Resource not accessible by personal access token';
    if (principal.startsWith('installation#') && !app?.canWrite(permission))
      return 'Resource not accessible by integration';
    return null;
  }

  /** Who the request's credentials stand for (RecordedCall.principal), or null. */
  function principalOf(req: Parsed): string | null {
    const token = req.token ?? '';
    if (token === options.token || options.readOnlyTokens?.includes(token)) return 'token';
    const installation = app?.installationToken(token);
    if (installation) return `installation#${installation.serial}`;
    return null;
  }

  function routeApp(req: Parsed, res: Sink) {
    const m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(req.path);
    if (!app || !m || req.method !== 'POST') return refuse(res, 404, 'Not Found');
    // Only the app's JWT opens /app endpoints; GitHub refuses any token there this way.
    const jwt = req.scheme === 'bearer' ? req.token : null;
    const issued = app.createToken(Number(m[1]), jwt);
    if (issued.status !== 201) return refuse(res, issued.status, issued.message ?? 'Not Found');
    send(res, 201, issued.body);
  }

  function route(req: Parsed, res: Sink) {
    const m =
      /^\/repos\/([^/]+)\/([^/]+)\/actions\/(workflows\/([^/]+)\/(dispatches|runs)|runs\/(\d+)(\/jobs|\/cancel)?)$/.exec(
        req.path,
      );
    if (!m || `${m[1]}/${m[2]}`.toLowerCase() !== fullName.toLowerCase())
      return refuse(res, 404, 'Not Found');
    const denied =
      req.method === 'POST' ? writeDenied(req, principalOf(req) ?? '', 'actions') : null;
    if (denied) return refuse(res, 403, denied);
    if (m[4] !== undefined) {
      const workflow = workflowOf(decodeURIComponent(m[4]));
      if (!workflow) return refuse(res, 404, 'Not Found');
      if (m[5] === 'dispatches' && req.method === 'POST') return dispatch(req, res, workflow);
      if (m[5] === 'runs' && req.method === 'GET') return listRuns(req, res, workflow);
      return refuse(res, 404, 'Not Found');
    }
    const run = runs.find((r) => r.id === Number(m[6]));
    if (!run) return refuse(res, 404, 'Not Found');
    if (!m[7] && req.method === 'GET') return send(res, 200, run);
    if (m[7] === '/jobs' && req.method === 'GET') {
      const list = actions.jobsOf(run.id);
      return send(res, 200, { total_count: list.length, jobs: list });
    }
    if (m[7] === '/cancel' && req.method === 'POST') return cancel(res, run);
    return refuse(res, 404, 'Not Found');
  }

  const server = createServer((incoming, res) => {
    void parse(incoming).then((req) => {
      const appCall = req.path.startsWith('/app/');
      const principal = appCall ? (req.scheme ? 'jwt' : null) : principalOf(req);
      const call: RecordedCall = {
        method: req.method,
        path: req.path,
        query: req.query,
        body: req.body,
        auth: req.scheme,
        principal,
        status: 0,
      };
      calls.push(call);
      const check = checkRequest(req);
      violations.push(...check.violations);
      if (check.operation)
        answering.set(res, { operation: check.operation, subject: `${req.method} ${req.path}` });
      res.on('finish', () => {
        call.status = res.statusCode;
        // The JWT is judged by the endpoint: only an accepted one stands for the app.
        if (appCall && call.status >= 400) call.principal = null;
      });
      if (!req.scheme) return refuse(res, 401, 'Requires authentication');
      if (!appCall && !principal) return refuse(res, 401, 'Bad credentials');
      if (check.violations.length > 0) return refuse(res, check.status, check.message);
      const fault = faults.find(
        (f) =>
          f.left > 0 &&
          (!f.method || f.method === req.method) &&
          (!f.path || f.path.test(req.path)),
      );
      if (fault) {
        fault.left--;
        // A 5xx from a proxy in front of GitHub can come after the work was done.
        if (fault.processed) dispatchRoute(req, discard, principal);
        return injected(res, fault);
      }
      dispatchRoute(req, res, principal);
    });
  });

  function dispatchRoute(req: Parsed, res: Sink, principal: string | null) {
    if (req.path.startsWith('/app/')) return routeApp(req, res);
    if (routeDeployments(req, res, principal ?? '')) return;
    route(req, res);
  }

  function injected(res: ServerResponse, fault: Fault) {
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
    if (fault.resetIn !== undefined) {
      headers['x-ratelimit-remaining'] = '0';
      headers['x-ratelimit-reset'] = String(Math.ceil(Date.now() / 1000) + fault.resetIn);
    }
    const message =
      fault.message ??
      (fault.status === 429 || fault.resetIn !== undefined
        ? 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
        : 'Server Error');
    if (fault.status >= 500 && !fault.message) return send(res, fault.status, undefined, headers);
    refuse(res, fault.status, message, headers);
  }

  // Compiled before the double serves anything: compiled during a test's first request instead
  // (up to a second on a loaded machine), they could outlast a driver's timeout.
  prepareDoubleChecks({ actions: workflows.length > 0, app: options.app !== undefined });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(
    repository,
    repositoryShape(
      baseUrl,
      options.owner,
      options.repo,
      repository.id,
      repository.default_branch as string,
    ),
  );

  return {
    url: baseUrl,
    calls,
    deliveries,
    violations,
    takeViolations: () => violations.splice(0),
    runs: () => runs.map((run) => ({ ...run })),
    called: (method, path) => calls.filter((c) => c.method === method && path.test(c.path)),
    planNext: (...next) => plans.push(...next),
    inject: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    unusedFaults: () => faults.filter((f) => f.left > 0),
    clearFaults: () => {
      faults.length = 0;
    },
    setWebhook(next) {
      webhook = next;
    },
    ping: () => deliver('ping', { zen: 'Design for failure.', hook_id: 4242, repository }),
    addForeignRun(title, workflowId) {
      const workflow = workflows.find((w) => w.id === workflowId) ?? workflows[0];
      if (!workflow) throw new Error('the double has no workflow');
      return actions.foreign(workflow, branches[0] ?? 'main', title);
    },
    releaseRun(runId) {
      if (!actions.release(runId)) throw new Error(`run ${runId} is not held queued`);
    },
    deployments: () => deploymentsState.all(),
    issuedTokens: () => (app ? app.issued.map((t) => ({ ...t })) : []),
    revokeInstallationTokens: () => app?.revokeAll(),
    expect: (...more) => expected.push(...more),
    verify: () => {
      verifySpec(violations);
      verifyCalls(expected, calls);
    },
    async close() {
      actions.stop();
      await deliveryChain.catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      verifySpec(violations);
    },
  };
}

/** Where an answer is written: a response, or nowhere (`discard`). */
type Sink = Pick<ServerResponse, 'writeHead' | 'end'>;
const discard: Sink = {
  writeHead: () => discard as ServerResponse,
  end: () => discard as ServerResponse,
};

interface Parsed {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The body as sent ('' for none), for the description's check. */
  rawBody: string;
  body: unknown;
  scheme: string | null;
  token: string | null;
}

async function parse(req: IncomingMessage): Promise<Parsed> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : req.method === 'POST' ? {} : undefined;
  } catch {
    body = undefined;
  }
  const url = new URL(req.url ?? '/', 'http://double');
  const auth = /^(bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    rawBody: text,
    body,
    scheme: auth?.[1]?.toLowerCase() ?? null,
    token: auth?.[2] ?? null,
  };
}
