import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AppSeed,
  ARGOCD_NAMESPACE,
  type Behaviour,
  Controller,
  clone,
  type Json,
  resolve,
  type Timing,
} from './argocd-controller.js';

/**
 * A local Argo CD API server for tests: the endpoints of /api/v1 the argocd driver uses, with the
 * request and response shapes of Argo CD's gateway (assets/swagger.json, server/application):
 * bearer token, RBAC refusals (403 "permission denied", 404 only when a project is given), error
 * bodies `{"error", "code", "message"}` with gRPC codes, one operation at a time ("another
 * operation is already in progress"), rollback refused under automated sync, the event stream.
 * Bodies are checked more strictly than Argo CD does (unknown fields are refused), so a typo in
 * the driver fails a test instead of being ignored. Every request is recorded.
 */

export interface Call {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Json;
  /** The status the double answered with. */
  status: number;
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

export type RbacAction = 'get' | 'update' | 'sync';
export type StreamMode = 'sse' | 'refuse' | 'drop';

export interface ArgoCdDouble {
  url: string;
  token: string;
  calls: Call[];
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
  setStream(mode: StreamMode): void;
  callsTo(method: string, path: RegExp): Call[];
  /** The calls made to `method path`; throws when there were none (or not `times`). */
  expectCalled(method: string, path: RegExp, times?: number): Call[];
  close(): Promise<void>;
}

interface Reply {
  status: number;
  json: Json;
}

interface Subscriber {
  namespace: string;
  name: string;
  send(type: string, app: Json): void;
}

const APP = /^\/api\/v1\/applications\/([^/]+)(\/sync|\/rollback|\/operation)?$/;

export async function startArgoCdDouble(
  options: { token?: string; timing?: Partial<Timing> } = {},
): Promise<ArgoCdDouble> {
  const token = options.token ?? 'argocd-test-token';
  const timing: Timing = { syncMs: 80, refreshMs: 30, healthMs: 120, ...options.timing };
  const calls: Call[] = [];
  const faults: (Fault & { left: number })[] = [];
  const denied = new Set<RbacAction>();
  const subscribers = new Set<Subscriber>();
  let streamMode: StreamMode = 'sse';

  const controller = new Controller(timing, (app) => {
    for (const s of subscribers) {
      if (s.namespace === app.metadata.namespace && s.name === app.metadata.name) {
        s.send('MODIFIED', app);
      }
    }
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

  /** Finds the application the way Argo CD's RBAC check does (getApplicationEnforceRBACClient). */
  function find(name: string, query: URLSearchParams | Json, action: RbacAction): Json | Reply {
    const get = (k: string) => (query instanceof URLSearchParams ? query.get(k) : query?.[k]);
    const namespace = get('appNamespace') || ARGOCD_NAMESPACE;
    const project = get('projects') || get('project') || null;
    const app = controller.find(namespace, name);
    if (!app) {
      return project
        ? grpcError(404, 5, `applications.argoproj.io "${name}" not found`)
        : grpcError(403, 7, 'permission denied');
    }
    if (project && app.spec.project !== project) return grpcError(403, 7, 'permission denied');
    for (const a of ['get', action] as RbacAction[]) {
      if (denied.has(a)) {
        return grpcError(
          403,
          7,
          `permission denied: applications, ${a}, ${app.spec.project}/${name}, sub: slipway, iat: 2024-01-01T00:00:00Z`,
        );
      }
    }
    return app;
  }

  function route(method: string, url: URL, body: Json): Reply {
    const match = APP.exec(url.pathname);
    if (!match) return grpcError(404, 5, 'Not Found');
    const name = decodeURIComponent(match[1] as string);
    const sub = match[2] ?? '';
    if (method === 'GET' && sub === '') {
      const app = find(name, url.searchParams, 'get');
      return isReply(app) ? app : ok(app);
    }
    if (method === 'PATCH' && sub === '') return patch(name, body);
    if (method === 'POST' && sub === '/sync') return sync(name, body);
    if (method === 'POST' && sub === '/rollback') return rollback(name, body);
    if (method === 'DELETE' && sub === '/operation') return terminate(name, url.searchParams);
    return grpcError(405, 12, `Method Not Allowed`);
  }

  function patch(name: string, body: Json): Reply {
    const invalid =
      checkBody(body, name, {
        patch: 'string',
        patchType: 'string',
        appNamespace: 'string',
        project: 'string',
      }) ?? (body.patchType === 'merge' ? null : 'the double implements patchType "merge" only');
    if (invalid) return grpcError(400, 3, invalid);
    const app = find(name, body, 'update');
    if (isReply(app)) return app;
    let change: Json;
    try {
      change = JSON.parse(body.patch);
    } catch (err) {
      return grpcError(400, 3, `error calculating merge patch: ${(err as Error).message}`);
    }
    if (change?.metadata?.name !== undefined && change.metadata.name !== name) {
      return grpcError(400, 3, 'application name cannot be changed');
    }
    // Argo CD merges the patch into the whole Application, then keeps its spec, labels and
    // annotations (server/application: Patch → updateApp); other metadata is not changed.
    const spec = mergePatch(clone(app.spec), change?.spec ?? {});
    const metadata = mergePatch(clone(app.metadata), change?.metadata ?? {});
    const bad =
      checkSource(spec.source) ??
      checkSyncPolicy(spec.syncPolicy) ??
      checkStringMap(metadata.annotations, 'annotations') ??
      checkStringMap(metadata.labels, 'labels');
    if (bad) return grpcError(400, 3, `application spec for ${name} is invalid: ${bad}`);
    app.spec = spec;
    for (const field of ['annotations', 'labels']) {
      if (metadata[field] && Object.keys(metadata[field]).length > 0)
        app.metadata[field] = metadata[field];
      else delete app.metadata[field];
    }
    controller.touched(app);
    return ok(app);
  }

  function sync(name: string, body: Json): Reply {
    const invalid = checkBody(body, name, {
      revision: 'string',
      dryRun: 'boolean',
      prune: 'boolean',
      strategy: 'object',
      resources: 'array',
      manifests: 'array',
      infos: 'array',
      retryStrategy: 'object',
      syncOptions: 'object',
      appNamespace: 'string',
      project: 'string',
      revisions: 'array',
      sourcePositions: 'array',
    });
    const infos = body?.infos ?? [];
    const badInfo = infos.find?.(
      (i: Json) => typeof i?.name !== 'string' || typeof i?.value !== 'string',
    );
    if (invalid || badInfo)
      return grpcError(400, 3, invalid ?? 'infos: each needs a name and a value');
    const app = find(name, body, 'sync');
    if (isReply(app)) return app;
    const target = app.spec.source.targetRevision || 'HEAD';
    if (autoSyncEnabled(app) && body.revision && body.revision !== target) {
      return grpcError(
        400,
        9,
        `Cannot sync to ${body.revision}: auto-sync currently set to ${target}`,
      );
    }
    if (busy(app)) return grpcError(400, 9, 'another operation is already in progress');
    if (body.dryRun) return ok(app);
    app.operation = {
      sync: { revision: resolve(app.spec.source), prune: Boolean(body.prune) },
      initiatedBy: { username: 'slipway' },
      ...(infos.length ? { info: clone(infos) } : {}),
      retry: {},
    };
    controller.touched(app);
    return ok(app);
  }

  function rollback(name: string, body: Json): Reply {
    const invalid = checkBody(body, name, {
      id: 'number',
      dryRun: 'boolean',
      prune: 'boolean',
      appNamespace: 'string',
      project: 'string',
    });
    if (invalid || !Number.isInteger(body.id))
      return grpcError(400, 3, invalid ?? 'id: an integer');
    const app = find(name, body, 'sync');
    if (isReply(app)) return app;
    if (autoSyncEnabled(app)) {
      return grpcError(400, 9, 'rollback cannot be initiated when auto-sync is enabled');
    }
    const entry = app.status.history.find((h: Json) => h.id === body.id);
    if (!entry) {
      return grpcError(400, 3, `application ${name} does not have deployment with id ${body.id}`);
    }
    if (busy(app)) return grpcError(400, 9, 'another operation is already in progress');
    app.operation = {
      sync: {
        revision: entry.revision,
        prune: Boolean(body.prune),
        syncStrategy: { apply: {} },
        source: clone(entry.source),
      },
      initiatedBy: { username: 'slipway' },
    };
    controller.touched(app);
    return ok(app);
  }

  function terminate(name: string, query: URLSearchParams): Reply {
    const app = find(name, query, 'sync');
    if (isReply(app)) return app;
    if (!app.operation || !app.status.operationState) {
      return grpcError(400, 3, 'Unable to terminate operation. No operation is in progress');
    }
    app.status.operationState.phase = 'Terminating';
    controller.touched(app);
    return { status: 200, json: {} };
  }

  function stream(req: IncomingMessage, res: ServerResponse, url: URL): number {
    const name = url.searchParams.get('name');
    if (!name) return send(res, grpcError(400, 3, 'the double streams one application: give name'));
    if (streamMode === 'refuse') return send(res, grpcError(503, 14, 'stream unavailable'));
    const app = find(name, url.searchParams, 'get');
    if (isReply(app)) return send(res, app);
    const sse = (req.headers.accept ?? '').includes('text/event-stream');
    res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/json' });
    if (streamMode === 'drop') {
      res.socket?.destroy();
      return 200;
    }
    const subscriber: Subscriber = {
      namespace: app.metadata.namespace,
      name,
      send(type, changed) {
        const json = JSON.stringify({ result: { type, application: changed } });
        res.write(sse ? `data: ${json}\n\n` : `${json}\n`);
      },
    };
    subscribers.add(subscriber);
    req.on('close', () => subscribers.delete(subscriber));
    subscriber.send('ADDED', app);
    return 200;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://argocd.double');
    const text = await readBody(req);
    const call: Call = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: null,
      status: 0,
    };
    calls.push(call);
    const fault = takeFault(method, url.pathname);
    if (fault && !fault.afterHandling) {
      call.status = send(res, grpcError(fault.status, 14, 'upstream unavailable'));
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      const message = req.headers.authorization
        ? 'invalid session: token signature is invalid'
        : 'no session information';
      call.status = send(res, grpcError(401, 16, message));
      return;
    }
    if (text) {
      try {
        call.body = JSON.parse(text);
      } catch (err) {
        call.status = send(res, grpcError(400, 3, (err as Error).message));
        return;
      }
    }
    if (method === 'GET' && url.pathname === '/api/v1/stream/applications') {
      call.status = stream(req, res, url);
      return;
    }
    const reply = route(method, url, call.body);
    call.status = send(res, fault ? grpcError(fault.status, 14, 'upstream unavailable') : reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, grpcError(500, 13, String(err)));
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;

  const double: ArgoCdDouble = {
    url: `http://127.0.0.1:${port}`,
    token,
    calls,
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
      controller.stop();
      subscribers.clear();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  return double;
}

/**
 * Automated sync is on: `automated` set and its `enabled` (Argo CD 3.1+) not false
 * (SyncPolicy.IsAutomatedSyncEnabled); the rollback refusal and the controller read it so.
 */
export function autoSyncEnabled(app: Json): boolean {
  const automated = app.spec.syncPolicy?.automated;
  return Boolean(automated) && automated.enabled !== false;
}

function busy(app: Json): boolean {
  const phase = app.status.operationState?.phase;
  return Boolean(app.operation) || phase === 'Running' || phase === 'Terminating';
}

type FieldType = 'string' | 'boolean' | 'number' | 'array' | 'object';

/** Checks a request body: an object naming this application, with known fields of known types. */
function checkBody(body: Json, name: string, fields: Record<string, FieldType>): string | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the body must be an object';
  if (body.name !== undefined && body.name !== name) {
    return `name ${body.name} in the body differs from ${name} in the path`;
  }
  for (const [field, value] of Object.entries(body)) {
    if (field === 'name') continue;
    const type = fields[field];
    if (!type) return `unknown field "${field}" (Argo CD would ignore it)`;
    const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
    if (actual !== type) return `${field}: expected ${type}, got ${actual}`;
  }
  return null;
}

/** What Argo CD's validation would refuse in the parts the driver writes. */
function checkSource(source: Json): string | null {
  const images = source?.kustomize?.images;
  if (
    images !== undefined &&
    !(Array.isArray(images) && images.every((i) => typeof i === 'string' && i))
  ) {
    return 'kustomize.images must be a list of image strings';
  }
  const parameters = source?.helm?.parameters;
  if (parameters !== undefined) {
    const valid =
      Array.isArray(parameters) &&
      parameters.every(
        (p) =>
          typeof p?.name === 'string' &&
          (p.value === undefined || typeof p.value === 'string') &&
          (p.forceString === undefined || typeof p.forceString === 'boolean'),
      );
    if (!valid) return 'helm.parameters must be a list of {name, value, forceString}';
  }
  return null;
}

/** `spec.syncPolicy` as Argo CD's types take it: `automated` an object of booleans, or absent. */
function checkSyncPolicy(policy: Json): string | null {
  if (policy === undefined) return null;
  if (!policy || typeof policy !== 'object' || Array.isArray(policy))
    return 'syncPolicy must be an object';
  const automated = policy.automated;
  if (automated === undefined) return null;
  if (!automated || typeof automated !== 'object' || Array.isArray(automated))
    return 'syncPolicy.automated must be an object';
  for (const [field, value] of Object.entries(automated)) {
    if (!['prune', 'selfHeal', 'allowEmpty', 'enabled'].includes(field))
      return `syncPolicy.automated: unknown field "${field}"`;
    if (typeof value !== 'boolean') return `syncPolicy.automated.${field} must be a boolean`;
  }
  return null;
}

/** Labels and annotations are maps of strings: anything else fails to unmarshal in Argo CD. */
function checkStringMap(map: Json, field: string): string | null {
  if (map === undefined) return null;
  const valid =
    map &&
    typeof map === 'object' &&
    !Array.isArray(map) &&
    Object.values(map).every((v) => typeof v === 'string');
  return valid ? null : `metadata.${field} must map names to strings`;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: Json, patch: Json): Json {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result = target && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}

function ok(app: Json): Reply {
  return { status: 200, json: app };
}

function grpcError(status: number, code: number, message: string): Reply {
  return { status, json: { error: message, code, message } };
}

function isReply(value: Json): value is Reply {
  return typeof value?.status === 'number' && 'json' in value;
}

function send(res: ServerResponse, reply: Reply): number {
  res.writeHead(reply.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(reply.json));
  return reply.status;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}
