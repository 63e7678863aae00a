import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AppSeed,
  ARGOCD_NAMESPACE,
  type Behaviour,
  Controller,
  clone,
  type Json,
  type Timing,
} from './argocd-controller.js';
import {
  createRoutes,
  grpcError,
  type RbacAction,
  type Reply,
  violation,
} from './argocd-double-routes.js';
import { argoCdSpec } from './argocd-spec.js';
import {
  goJson,
  openStream,
  refuseStream,
  type StreamWriter,
  streamError,
} from './argocd-stream.js';

export { autoSyncEnabled, type RbacAction } from './argocd-double-routes.js';

/**
 * A local Argo CD API server for tests: the endpoints of /api/v1 the argocd driver uses, held to
 * Argo CD's own API description (test/support/argocd/swagger.json, see its README): every
 * request's query and body, every answer and every stream event is checked against it, and what
 * it does not allow is a violation that fails the test (`close()` throws). Beyond the
 * description it behaves as server/application does: bearer token, RBAC refusals (403
 * "permission denied", 404 only when a project is given), grpc-gateway's error bodies, one
 * operation at a time, rollback refused under automated sync, and the watch stream framed byte
 * for byte as argocd-server frames it (argocd-stream.ts). Every request is recorded.
 */

export interface Call {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Json;
  /** The status the double answered with. */
  status: number;
  /** The operation of Argo CD's API description, e.g. ApplicationService_Sync. */
  operation: string | null;
}

/** A failure to answer with instead of the real one, `times` times (default once). */
export interface Fault {
  method?: string;
  path?: RegExp;
  status: number;
  times?: number;
  /** Handle the request, then answer the failure: the change happened but its answer was lost. */
  afterHandling?: boolean;
}

/**
 * How the watch stream behaves: `sse` as argocd-server (events as they happen); `refuse`: the
 * gateway cannot reach the API (503 before any event); `drop`: the connection is cut after the
 * headers; `error`: the first events, then an in-stream error chunk, as when the gRPC side fails.
 */
export type StreamMode = 'sse' | 'refuse' | 'drop' | 'error';

export interface ArgoCdDouble {
  url: string;
  token: string;
  calls: Call[];
  /** What Argo CD's API description did not allow, in requests or in the double's answers. */
  violations: string[];
  /** Returns the violations so far and forgets them (for a test that provokes one). */
  takeViolations(): string[];
  add(seed: AppSeed): void;
  /** A copy of the application as the double holds it now. */
  app(name: string, namespace?: string): Json;
  /** What syncing `version` does from now on (null: it applies and turns Healthy). */
  behave(version: string, behaviour: Behaviour | null): void;
  /**
   * Turns automated sync on (with `policy` as `spec.syncPolicy.automated`, default prune and
   * selfHeal off) or off (removes it, as `argocd app set --sync-policy none` does).
   */
  setAutomated(name: string, on: boolean, policy?: Json): void;
  fail(fault: Fault): void;
  deny(action: RbacAction): void;
  /** argocd-cm `server.rbac.rollback.enforce.enable: "true"`: rollback checks `rollback`. */
  enforceRollbackAction(): void;
  setStream(mode: StreamMode): void;
  callsTo(method: string, path: RegExp): Call[];
  /** The calls made to `method path`; throws when there were none (or not `times`). */
  expectCalled(method: string, path: RegExp, times?: number): Call[];
  /** Stops the server; throws when there were violations, so the test that made them fails. */
  close(): Promise<void>;
}

export interface DoubleOptions {
  token?: string;
  timing?: Partial<Timing>;
  /** The SSE keep-alive period; argocd-server's is 15 s (forwarders.go, keepalive). */
  keepaliveMs?: number;
}

const WATCH = 'ApplicationService_Watch';
const SERVED = [
  'ApplicationService_Get',
  'ApplicationService_Patch',
  'ApplicationService_Sync',
  'ApplicationService_Rollback',
  'ApplicationService_TerminateOperation',
  WATCH,
];

export async function startArgoCdDouble(options: DoubleOptions = {}): Promise<ArgoCdDouble> {
  const token = options.token ?? 'argocd-test-token';
  const timing: Timing = { syncMs: 80, refreshMs: 30, healthMs: 120, ...options.timing };
  const spec = argoCdSpec();
  spec.prepare(SERVED, ['v1alpha1Application']);
  const calls: Call[] = [];
  const violations: string[] = [];
  const faults: (Fault & { left: number })[] = [];
  const denied = new Set<RbacAction>();
  const watchers = new Set<{ wants(app: Json): boolean; writer: StreamWriter }>();
  let streamMode: StreamMode = 'sse';
  let rollbackAction: RbacAction = 'sync';

  const controller = new Controller(timing, (app) => {
    for (const w of watchers) if (w.wants(app)) w.writer.event('MODIFIED', app);
  });
  const routes = createRoutes({
    controller,
    denied,
    rollbackAction: () => rollbackAction,
    checkApplication: (app) => spec.checkDefinition('v1alpha1Application', app),
  });

  function takeFault(method: string, path: string): Fault | null {
    const index = faults.findIndex(
      (f) => (!f.method || f.method === method) && (!f.path || f.path.test(path)),
    );
    const fault = faults[index];
    if (!fault) return null;
    if (--fault.left <= 0) faults.splice(index, 1);
    return fault;
  }

  function record(what: string, operation: string, problems: string[]): void {
    if (problems.length > 0) violations.push(spec.describe(what, operation, problems));
  }

  /** Answers and checks the answer against the operation's responses. */
  function answer(res: ServerResponse, call: Call, reply: Reply): void {
    if (call.operation) {
      record(
        'answer of',
        call.operation,
        spec.checkResponse(call.operation, reply.status, reply.json),
      );
    }
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(goJson(reply.json));
    call.status = reply.status;
  }

  /**
   * server/application Watch: ADDED for each application the caller may get, then changes. An
   * application that does not exist or may not be read is left out, not refused
   * (isApplicationPermitted): the stream stays open and silent.
   */
  function stream(req: IncomingMessage, res: ServerResponse, url: URL): number {
    if (streamMode === 'refuse') {
      const refused = streamError(
        503,
        14,
        'connection error: desc = "transport: Error while dialing: dial tcp [::1]:8080: connect: connection refused"',
      );
      record('answer of', WATCH, spec.checkStreamChunk(WATCH, refused));
      return refuseStream(req, res, refused);
    }
    const writer = openStream(req, res, {
      keepaliveMs: options.keepaliveMs ?? 15_000,
      check: (chunk) => record('stream event of', WATCH, spec.checkStreamChunk(WATCH, chunk)),
    });
    if (streamMode === 'drop') {
      res.socket?.destroy();
      return 200;
    }
    const q = url.searchParams;
    const namespace = q.get('appNamespace') || ARGOCD_NAMESPACE;
    const projects = [...q.getAll('projects'), ...q.getAll('project')];
    // isApplicationPermitted: the namespace counts only with a name.
    const wants = (app: Json) =>
      (!q.get('name') ||
        (app.metadata.name === q.get('name') && app.metadata.namespace === namespace)) &&
      (projects.length === 0 || projects.includes(app.spec.project)) &&
      !denied.has('get');
    const watcher = { wants, writer };
    for (const app of controller.list().filter(wants)) writer.event('ADDED', app);
    if (streamMode === 'error') {
      writer.fail(streamError(503, 14, 'error reading from server: EOF'));
      return 200;
    }
    watchers.add(watcher);
    req.on('close', () => watchers.delete(watcher));
    return 200;
  }

  /**
   * What argocd-server answers before grpc-gateway routes a request. server/server.go
   * enforceContentTypes: the default --api-content-types is "application/json", compared whole
   * (no charset), for every method but GET, bodiless DELETEs too; the description's "consumes"
   * says so too. Then a path the gateway has no route for: DefaultOtherErrorHandler, plain text.
   */
  function refusedBeforeRouting(req: IncomingMessage, res: ServerResponse, call: Call): boolean {
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    const [status, body] =
      call.method !== 'GET' && type !== 'application/json'
        ? [415, 'Invalid content type\n']
        : !call.operation
          ? [404, 'Not Found\n']
          : [0, ''];
    if (status === 0) return false;
    violations.push(
      status === 415
        ? `${call.method} ${call.path} was sent with Content-Type "${type}": argocd-server answers 415 to anything but application/json (server/server.go, enforceContentTypes)`
        : `${call.method} ${call.path} is no operation of Argo CD's API description`,
    );
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
    call.status = status;
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://argocd.double');
    const text = await readBody(req);
    const operation = spec.operation(method, url.pathname);
    const call: Call = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: null,
      status: 0,
      operation,
    };
    calls.push(call);
    if (refusedBeforeRouting(req, res, call) || !operation) return;
    if (text) {
      try {
        call.body = JSON.parse(text);
      } catch (err) {
        return answer(res, call, grpcError(400, 3, (err as Error).message));
      }
    }
    const problems = spec.checkRequest(operation, url.searchParams, call.body);
    if (problems.length > 0) {
      record('request', operation, problems);
      return answer(res, call, violation(problems));
    }
    const fault = takeFault(method, url.pathname);
    if (fault && !fault.afterHandling && operation === WATCH) {
      call.status = refuseStream(req, res, streamError(fault.status, 14, 'upstream unavailable'));
      return;
    }
    if (fault && !fault.afterHandling) {
      return answer(res, call, grpcError(fault.status, 14, 'upstream unavailable'));
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      const message = req.headers.authorization
        ? 'invalid session: token signature is invalid'
        : 'no session information';
      if (operation === WATCH) {
        call.status = refuseStream(req, res, streamError(401, 16, message));
        return;
      }
      return answer(res, call, grpcError(401, 16, message));
    }
    if (operation === WATCH) {
      call.status = stream(req, res, url);
      return;
    }
    const reply = routes.route(method, url, call.body);
    if ('violation' in reply) record('request', operation, reply.violation as string[]);
    answer(res, call, fault ? grpcError(fault.status, 14, 'upstream unavailable') : reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(grpcError(500, 13, String(err)).json));
      }
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  let closed = false;

  const double: ArgoCdDouble = {
    url: `http://127.0.0.1:${port}`,
    token,
    calls,
    violations,
    takeViolations: () => violations.splice(0),
    add: (seed) => controller.add(seed),
    app(name, namespace = ARGOCD_NAMESPACE) {
      const app = controller.find(namespace, name);
      if (!app) throw new Error(`the double has no application ${namespace}/${name}`);
      return clone(app);
    },
    behave: (version, behaviour) => controller.behave(version, behaviour),
    setAutomated(name, on, policy = { prune: false, selfHeal: false }) {
      const app = controller.find(ARGOCD_NAMESPACE, name);
      if (!app) throw new Error(`the double has no application ${name}`);
      if (on) app.spec.syncPolicy = { automated: clone(policy) };
      else delete app.spec.syncPolicy;
      controller.touched(app);
    },
    fail: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    deny: (action) => denied.add(action),
    enforceRollbackAction() {
      rollbackAction = 'rollback';
    },
    setStream(mode) {
      streamMode = mode;
    },
    callsTo: (method, path) => calls.filter((c) => c.method === method && path.test(c.path)),
    expectCalled(method, path, times) {
      const made = double.callsTo(method, path);
      const seen = calls.map((c) => `${c.method} ${c.path} → ${c.status}`).join('\n  ');
      if (made.length === 0 || (times !== undefined && made.length !== times)) {
        throw new Error(
          `expected ${times ?? 'some'} ${method} ${path} call(s), got ${made.length}; calls:\n  ${seen}`,
        );
      }
      return made;
    },
    async close() {
      if (!closed) {
        closed = true;
        controller.stop();
        watchers.clear();
        server.closeAllConnections();
        await new Promise<void>((done) => server.close(() => done()));
      }
      if (violations.length > 0) {
        throw new Error(
          `the Argo CD double saw what Argo CD's API description does not allow:\n${violations.join('\n')}`,
        );
      }
    },
  };
  return double;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}
