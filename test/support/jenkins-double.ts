import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type BuildPlan,
  type BuildState,
  type DoubleBuild,
  type DoubleJob,
  JenkinsModel,
} from './jenkins-double-model.js';
import { applyTree, type Json, parseTree, TreeError } from './jenkins-double-tree.js';

export type { BuildPlan, BuildResult, DoubleBuild, DoubleJob } from './jenkins-double-model.js';

/**
 * A local stand-in for the parts of Jenkins' remote access API the jenkins driver uses, with the
 * status codes, headers and JSON shapes core Jenkins gives (www.jenkins.io/doc/book/using/remote-
 * access-api; hudson.model.Queue, ParametersDefinitionProperty, Run, LargeText, CrumbFilter):
 *
 * - basic authentication with a user and API token on every request: none is 403 ("Authentication
 *   required"), a wrong token 401 ("Invalid password/token for user: …");
 * - CSRF protection three ways: off (no crumb issuer: 404), on with requests authenticated by an
 *   API token exempt (Jenkins 2.96 and later), or required on every POST (older Jenkins, or a
 *   password in place of a token). A crumb is valid only with the session cookie it was issued in
 *   (2.176.2 and later); a POST without one is 403 "No valid crumb was included in the request";
 * - `POST /job/…/buildWithParameters`: 201 with `Location: …/queue/item/{id}/`, 303 to the same
 *   item when identical parameters are already queued, 400 for a job without parameters, 409 for a
 *   disabled one, 404 for an unknown one; undeclared parameters are dropped as Jenkins drops them;
 * - queue items that wait (`why`) until they have been read `queuePolls` times, then leave the queue
 *   with their `executable`; `POST /queue/cancelItem?id=` (204, 404 once forgotten, 500 for one
 *   that already left), and left items forgotten on demand (Jenkins keeps them five minutes);
 * - builds whose console grows a line every `lineMs`, read through `logText/progressiveText` with
 *   X-Text-Size and X-More-Data (whole lines only while running, at most `maxLinesPerRead`),
 *   ending with "Finished: RESULT"; `POST …/{n}/stop` aborts one (302 back to it);
 * - `tree=` on job and build JSON.
 *
 * Every request is recorded; `expectCall` declares calls a test needs and `verify()` throws when
 * one was not made (or an injected fault was never met).
 */

export type CrumbMode = 'off' | 'api-token-exempt' | 'required';

export interface Call {
  method: string;
  /** Path below the context path. */
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  /** The user of a well-formed Authorization header, never the token. */
  user: string | null;
  crumb: string | null;
  cookie: string | null;
  status: number;
}

export interface Fault {
  method?: string;
  path?: RegExp;
  status: number;
  times?: number;
}

export interface Expectation {
  method: string;
  path: RegExp;
  /** Only calls answered with this status count. */
  status?: number;
  /** Exactly this many; default at least one. */
  times?: number;
}

export interface JenkinsDouble {
  /** Root URL to configure (includes the context path). */
  url: string;
  user: string;
  token: string;
  calls: Call[];
  called(method: string, path: RegExp): Call[];
  planNext(...plans: BuildPlan[]): void;
  setCrumb(mode: CrumbMode): void;
  /** Ends every web session, as a restart or a session timeout does: crumbs issued are void. */
  expireSessions(): void;
  /** Forgets left queue items, as Jenkins does five minutes after they leave. */
  forgetLeftItems(): void;
  /** Ignores Cookie headers, as a proxy that drops them would: crumbs never match a session. */
  dropCookies(dropped: boolean): void;
  /** Takes away Job/Build and Job/Cancel from the user (reads still work). */
  denyBuild(denied: boolean): void;
  inject(fault: Fault): void;
  expectCall(expectation: Expectation): void;
  /** Throws, naming what is missing and every call made, when an expectation was not met. */
  verify(): void;
  builds(job: string): DoubleBuild[];
  close(): Promise<void>;
}

export interface DoubleOptions {
  user?: string;
  token?: string;
  jobs: DoubleJob[];
  crumb?: CrumbMode;
  /** Jenkins served below a path, as behind a reverse proxy (`/jenkins`). */
  contextPath?: string;
  /** Lines one progressiveText answer carries while a build runs. */
  maxLinesPerRead?: number;
}

const CRUMB_FIELD = 'Jenkins-Crumb';
const SALT = randomBytes(16).toString('hex');

export async function startJenkinsDouble(options: DoubleOptions): Promise<JenkinsDouble> {
  const user = options.user ?? 'slipway';
  const token = options.token ?? '11a0cbd6c0b8f2e4d5a7f3c9e1b2d4f6a8';
  const context = (options.contextPath ?? '').replace(/\/+$/, '');
  const maxLines = options.maxLinesPerRead ?? 10_000;
  let crumbMode: CrumbMode = options.crumb ?? 'api-token-exempt';
  let buildDenied = false;
  let cookiesDropped = false;
  const sessions = new Set<string>();
  const calls: Call[] = [];
  const faults: (Fault & { left: number })[] = [];
  const expectations: Expectation[] = [];
  let root = '';
  const model = new JenkinsModel(user, () => root);

  const crumbFor = (session: string) =>
    createHash('sha256').update(`${user}:${session}:${SALT}`).digest('hex');

  function error(res: ServerResponse, status: number, message: string, headers = {}) {
    // Jetty's error page: the reason is in the title.
    const body = `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error ${status} ${message}</title>\n</head>\n<body><h2>HTTP ERROR ${status} ${message}</h2>\n</body>\n</html>\n`;
    res.writeHead(status, { 'content-type': 'text/html;charset=utf-8', ...headers });
    res.end(body);
  }
  function json(res: ServerResponse, value: Json, tree: string | undefined) {
    let out = value;
    if (tree !== undefined) {
      try {
        out = applyTree(value, parseTree(tree));
      } catch (err) {
        if (err instanceof TreeError) return error(res, 400, err.message);
        throw err;
      }
    }
    res.writeHead(200, {
      'content-type': 'application/json;charset=utf-8',
      'x-jenkins': '2.462.3',
    });
    res.end(JSON.stringify(out));
  }

  function findJob(segments: string[]): { job: DoubleJob; rest: string[] } | null {
    // /job/a/job/b/… : the longest run of job/<name> pairs that names a job.
    const names: string[] = [];
    let i = 0;
    let found: { job: DoubleJob; rest: string[] } | null = null;
    while (segments[i] === 'job' && segments[i + 1] !== undefined) {
      names.push(decodeURIComponent(segments[i + 1] as string));
      i += 2;
      const job = options.jobs.find((j) => j.name === names.join('/'));
      if (job) found = { job, rest: segments.slice(i) };
    }
    return found;
  }

  function trigger(res: ServerResponse, job: DoubleJob, form: Record<string, string>) {
    if (job.disabled) return error(res, 409, `${job.name} is not buildable`);
    if (!job.parameters) return error(res, 400, `${job.name} is not parameterized`);
    // Parameters the job does not declare are dropped; declared ones left out take their default.
    const parameters: Record<string, string> = {};
    for (const p of job.parameters) parameters[p.name] = form[p.name] ?? p.default ?? '';
    const { entry, created } = model.enqueue(job, parameters);
    res.writeHead(created ? 201 : 303, { location: `${root}/queue/item/${entry.id}/` });
    res.end();
  }

  function progressiveText(res: ServerResponse, b: BuildState, startText: string | undefined) {
    const start = Number(startText ?? 0);
    if (!Number.isSafeInteger(start) || start < 0) return error(res, 400, 'Bad start');
    const { bytes, end } = model.consoleFrom(b, start, maxLines);
    const headers: Record<string, string> = {
      'content-type': 'text/plain;charset=UTF-8',
      'x-text-size': String(end),
    };
    if (b.building) headers['x-more-data'] = 'true';
    res.writeHead(200, headers);
    res.end(bytes);
  }

  function route(req: Parsed, res: ServerResponse) {
    const segments = req.path.split('/').filter(Boolean);
    const post = req.method === 'POST';
    if (req.path === '/crumbIssuer/api/json') {
      if (crumbMode === 'off') return error(res, 404, 'Not Found');
      let session = req.session && sessions.has(req.session) ? req.session : null;
      if (!session) {
        session = randomBytes(12).toString('hex');
        sessions.add(session);
        res.setHeader('set-cookie', `JSESSIONID.5f3c9a1e=node0${session}.node0; Path=/; HttpOnly`);
      }
      return json(
        res,
        {
          _class: 'hudson.security.csrf.DefaultCrumbIssuer',
          crumb: crumbFor(session),
          crumbRequestField: CRUMB_FIELD,
        },
        req.query.tree,
      );
    }
    const queueItem = /^\/queue\/item\/(\d+)\/api\/json$/.exec(req.path);
    if (queueItem) {
      if (post) return error(res, 405, 'Method Not Allowed');
      const id = Number(queueItem[1]);
      const entry = model.read(id);
      if (!entry) return error(res, 404, 'Not Found');
      return json(res, model.queueJson(entry), req.query.tree);
    }
    if (req.path === '/queue/cancelItem') {
      if (!post) return error(res, 405, 'This URL requires POST');
      const id = Number(req.query.id ?? req.form.id);
      const entry = model.known(id);
      if (!entry) return error(res, 404, `Provided id (${id}) not found`);
      if (buildDenied) return error(res, 422, `Item for id (${id}) is not cancellable`);
      if (entry.state !== 'waiting') return error(res, 500, `Could not cancel run for id ${id}`);
      entry.state = 'cancelled';
      res.writeHead(204);
      return res.end();
    }
    const found = findJob(segments);
    if (!found) return error(res, 404, 'Not Found');
    const { job, rest } = found;
    const tail = rest.join('/');
    if (tail === 'api/json')
      return post
        ? error(res, 405, 'Method Not Allowed')
        : json(res, model.jobJson(job), req.query.tree);
    if (tail === 'buildWithParameters') {
      if (!post) return error(res, 405, 'This URL requires POST');
      if (buildDenied) return error(res, 403, `${user} is missing the Job/Build permission`);
      return trigger(res, job, { ...req.query, ...req.form });
    }
    const number = Number(rest[0]);
    const b = Number.isInteger(number)
      ? model.buildsOf(job).find((x) => x.number === number)
      : undefined;
    if (!b) return error(res, 404, 'Not Found');
    const what = rest.slice(1).join('/');
    if (what === 'api/json')
      return post
        ? error(res, 405, 'Method Not Allowed')
        : json(res, model.buildJson(b), req.query.tree);
    if (what === 'logText/progressiveText') return progressiveText(res, b, req.query.start);
    if (what === 'stop') {
      if (!post) return error(res, 405, 'This URL requires POST');
      if (buildDenied) return error(res, 403, `${user} is missing the Job/Cancel permission`);
      model.stop(b);
      // HttpResponses.forwardToPreviousPage(): back to the build's page.
      res.writeHead(302, { location: `${model.jobUrl(job)}${b.number}/` });
      return res.end();
    }
    return error(res, 404, 'Not Found');
  }

  function authenticate(req: Parsed, res: ServerResponse): boolean {
    if (req.user === null) {
      error(res, 403, 'Authentication required', { 'x-you-are-authenticated-as': 'anonymous' });
      return false;
    }
    if (req.user !== user || req.password !== token) {
      error(res, 401, `Invalid password/token for user: ${req.user}`);
      return false;
    }
    return true;
  }

  /** CrumbFilter: a POST needs a crumb from this user's live session, unless exempt. */
  function crumbOk(req: Parsed): boolean {
    if (req.method !== 'POST' || crumbMode === 'off' || crumbMode === 'api-token-exempt')
      return true;
    return (
      req.crumb !== null &&
      req.session !== null &&
      sessions.has(req.session) &&
      req.crumb === crumbFor(req.session)
    );
  }

  const server = createServer((incoming, res) => {
    void parse(incoming, context).then((req) => {
      if (cookiesDropped) req.session = null;
      const call: Call = {
        method: req.method,
        path: req.path,
        query: req.query,
        form: req.form,
        user: req.user,
        crumb: req.crumb,
        cookie: req.cookie,
        status: 0,
      };
      calls.push(call);
      res.on('finish', () => {
        call.status = res.statusCode;
      });
      if (!req.inContext) return error(res, 404, 'Not Found');
      if (!authenticate(req, res)) return;
      if (!crumbOk(req)) return error(res, 403, 'No valid crumb was included in the request');
      const fault = faults.find(
        (f) =>
          f.left > 0 &&
          (!f.method || f.method === req.method) &&
          (!f.path || f.path.test(req.path)),
      );
      if (fault) {
        fault.left--;
        return error(res, fault.status, fault.status >= 500 ? 'Service Unavailable' : 'Injected');
      }
      route(req, res);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}${context}`;

  const double: JenkinsDouble = {
    url: root,
    user,
    token,
    calls,
    called: (method, path) => calls.filter((c) => c.method === method && path.test(c.path)),
    planNext: (...next) => model.plans.push(...next),
    setCrumb(mode) {
      crumbMode = mode;
    },
    expireSessions: () => sessions.clear(),
    forgetLeftItems() {
      model.forgetLeft();
    },
    dropCookies(dropped) {
      cookiesDropped = dropped;
    },
    denyBuild(denied) {
      buildDenied = denied;
    },
    inject: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    expectCall: (expectation) => expectations.push(expectation),
    verify() {
      const problems: string[] = [];
      for (const e of expectations) {
        const made = calls.filter(
          (c) =>
            c.method === e.method &&
            e.path.test(c.path) &&
            (e.status === undefined || c.status === e.status),
        ).length;
        const ok = e.times === undefined ? made > 0 : made === e.times;
        if (!ok)
          problems.push(
            `expected ${e.times ?? 'at least one'} ${e.method} ${e.path}${e.status ? ` → ${e.status}` : ''}, got ${made}`,
          );
      }
      for (const f of faults)
        if (f.left > 0)
          problems.push(`fault never met: ${f.method ?? '*'} ${f.path ?? '*'} → ${f.status}`);
      if (problems.length > 0) {
        const seen = calls.map(
          (c) =>
            `${c.method} ${c.path}${Object.keys(c.query).length ? `?${new URLSearchParams(c.query)}` : ''} → ${c.status}`,
        );
        throw new Error(`${problems.join('\n')}\ncalls made:\n  ${seen.join('\n  ')}`);
      }
    },
    builds: (name) =>
      model
        .allBuilds()
        .filter((b) => b.job.name === name)
        .map((b) => ({
          number: b.number,
          queueId: b.queueId,
          parameters: { ...b.parameters },
          building: b.building,
          result: b.result,
          console: b.console,
        })),
    async close() {
      model.stopTimers();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return double;
}

interface Parsed {
  method: string;
  path: string;
  inContext: boolean;
  query: Record<string, string>;
  form: Record<string, string>;
  user: string | null;
  password: string | null;
  crumb: string | null;
  cookie: string | null;
  session: string | null;
}

async function parse(req: IncomingMessage, context: string): Promise<Parsed> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', 'http://double');
  const inContext = url.pathname === context || url.pathname.startsWith(`${context}/`);
  const path = inContext ? url.pathname.slice(context.length) || '/' : url.pathname;
  const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
    ? Object.fromEntries(new URLSearchParams(body))
    : {};
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const decoded = basic ? Buffer.from(basic[1] ?? '', 'base64').toString('utf8') : null;
  const colon = decoded?.indexOf(':') ?? -1;
  const cookie = req.headers.cookie ?? null;
  const session = /JSESSIONID\.[0-9a-f]+=node0([0-9a-f]+)\.node0/.exec(cookie ?? '')?.[1] ?? null;
  const crumb = req.headers[CRUMB_FIELD.toLowerCase()];
  return {
    method: req.method ?? 'GET',
    path,
    inContext,
    query: Object.fromEntries(url.searchParams),
    form,
    user: decoded && colon > 0 ? decoded.slice(0, colon) : null,
    password: decoded && colon > 0 ? decoded.slice(colon + 1) : null,
    crumb: typeof crumb === 'string' ? crumb : null,
    cookie,
    session,
  };
}
