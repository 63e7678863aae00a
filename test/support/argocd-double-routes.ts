import {
  ARGOCD_NAMESPACE,
  type Controller,
  clone,
  type Json,
  resolve,
} from './argocd-controller.js';

/**
 * What the Argo CD double's endpoints do to its applications, as server/application does
 * (Get, Patch, Sync, Rollback, TerminateOperation). Shapes are checked against Argo CD's API
 * description before a request gets here (argocd-spec.ts); these check what the description
 * cannot say: which application, RBAC, one operation at a time, automated sync.
 */

export type RbacAction = 'get' | 'update' | 'sync' | 'rollback';

export interface Reply {
  status: number;
  json: Json;
}

export interface RouteDeps {
  controller: Controller;
  denied: ReadonlySet<RbacAction>;
  /**
   * argocd-cm `server.rbac.rollback.enforce.enable`: rollback needs the `rollback` action
   * instead of `sync` (server/application Rollback).
   */
  rollbackAction(): RbacAction;
  /** Spec problems of a patched Application (argocd-spec.ts checkDefinition). */
  checkApplication(app: Json): string[];
}

const APP = /^\/api\/v1\/applications\/([^/]+)(\/sync|\/rollback|\/operation)?$/;

export function createRoutes(deps: RouteDeps) {
  const { controller, denied } = deps;

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
    if (!match) return grpcError(501, 12, `the double does not serve ${method} ${url.pathname}`);
    const name = decodeURIComponent(match[1] as string);
    const sub = match[2] ?? '';
    const mismatch = body?.name !== undefined && body.name !== name;
    if (mismatch) return grpcError(400, 3, `name ${body.name} in the body differs from ${name}`);
    if (method === 'GET' && sub === '') {
      if (
        url.searchParams.getAll('projects').length + url.searchParams.getAll('project').length >
        1
      )
        return grpcError(
          400,
          3,
          'multiple projects specified - the get endpoint accepts either zero or one project',
        );
      const app = find(name, url.searchParams, 'get');
      return isReply(app) ? app : ok(app);
    }
    if (method === 'PATCH' && sub === '') return patch(name, body);
    if (method === 'POST' && sub === '/sync') return sync(name, body);
    if (method === 'POST' && sub === '/rollback') return rollback(name, body);
    if (method === 'DELETE' && sub === '/operation') return terminate(name, url.searchParams);
    return grpcError(501, 12, `the double does not serve ${method} ${url.pathname}`);
  }

  function patch(name: string, body: Json): Reply {
    if (body.patchType !== 'merge') {
      return grpcError(400, 3, 'the double implements patchType "merge" only');
    }
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
    // Only what the patch can change: the rest is the double's, checked with its answers.
    const problems = deps.checkApplication({ metadata, spec });
    if (problems.length > 0) return violation(problems);
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
    const infos = body.infos ?? [];
    if (infos.some((i: Json) => !i.name || i.value === undefined)) {
      return grpcError(400, 3, 'infos: each needs a name and a value');
    }
    const app = find(name, body, 'sync');
    if (isReply(app)) return app;
    // resolveSourceRevisions: a dry run may name another revision under automated sync.
    const target = app.spec.source.targetRevision ?? '';
    const other = body.revision && body.revision !== (target || 'HEAD');
    if (other && autoSyncEnabled(app) && !body.dryRun) {
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
    // ApplicationRollbackRequest's id is a required proto2 field (application.pb.go).
    if (body.id === undefined) return grpcError(400, 3, 'id: required');
    const app = find(name, body, deps.rollbackAction());
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

  return { find, route };
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

/** grpc-gateway v1.16's error body (runtime/errors.go, DefaultHTTPError). */
export function grpcError(status: number, code: number, message: string): Reply {
  return { status, json: { error: message, code, message } };
}

/** A request Argo CD's description does not allow: the double's own answer, marked as such. */
export function violation(problems: string[]): Reply & { violation: string[] } {
  const message = `the Argo CD double refuses what Argo CD's API description does not allow: ${problems.join('; ')}`;
  return { ...grpcError(400, 3, message), violation: problems };
}

export function isReply(value: Json): value is Reply {
  return typeof value?.status === 'number' && 'json' in value;
}
