import { createHash } from 'node:crypto';

/**
 * The application side of the Argo CD double (argocd-double.ts): Applications shaped like
 * argoproj.io/v1alpha1 as /api/v1 returns them, and a controller that runs their operations the
 * way Argo CD's application controller does: an operation requested in `operation` starts
 * (`status.operationState.phase` Running), finishes (Succeeded, with a history entry, or Failed),
 * and health is assessed on the next reconciliation (Progressing, then Healthy or Degraded).
 *
 * Times are written with milliseconds; Argo CD writes whole seconds. Tests run many steps within
 * one second, and the driver compares times the same way for both.
 */

// biome-ignore lint/suspicious/noExplicitAny: the double edits Argo CD's JSON freely, as a server would.
export type Json = any;

/** What a version does when it is synced: applies and turns Degraded, or fails to apply. */
export type Behaviour = 'degrade' | 'fail';

export interface AppSeed {
  name: string;
  /** Namespace the Application lives in (Argo CD's own by default). */
  namespace?: string;
  project?: string;
  /** Image repository; with `helmParameter` unset, the kustomize image whose tag is the version. */
  image: string;
  /** Helm source: the parameter carrying the version (e.g. image.tag). */
  helmParameter?: string;
  /** Live version at start, with one history entry for it. */
  version: string;
  /** Automated sync on at start, with this policy (`true`: prune and selfHeal off). */
  automated?: boolean | Json;
  targetRevision?: string;
}

export interface Timing {
  /** From Running to Succeeded/Failed. */
  syncMs: number;
  /** From the end of the operation to the reconciliation that assesses health. */
  refreshMs: number;
  /** From Progressing to Healthy/Degraded. */
  healthMs: number;
}

interface Model {
  app: Json;
  image: string;
  helmParameter: string | null;
  live: { source: Json; revision: string };
  stage: 'idle' | 'syncing' | 'refreshing' | 'progressing';
  until: number;
  nextId: number;
  lastAutoSync: string | null;
}

export const ARGOCD_NAMESPACE = 'argocd';

export class Controller {
  private readonly models = new Map<string, Model>();
  private readonly behaviours = new Map<string, Behaviour>();
  private resourceVersion = 1;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly timing: Timing,
    private readonly changed: (app: Json) => void,
  ) {
    this.timer = setInterval(() => this.tick(), 10);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  add(seed: AppSeed): void {
    const namespace = seed.namespace ?? ARGOCD_NAMESPACE;
    const source = sourceFor(seed, seed.version);
    const revision = resolve(source);
    const now = stamp();
    const app: Json = {
      metadata: {
        name: seed.name,
        namespace,
        uid: createHash('sha1').update(`${namespace}/${seed.name}`).digest('hex').slice(0, 32),
        resourceVersion: String(this.resourceVersion++),
        creationTimestamp: now,
      },
      spec: {
        project: seed.project ?? 'default',
        source,
        destination: { server: 'https://kubernetes.default.svc', namespace: seed.name },
        ...(seed.automated
          ? {
              syncPolicy: {
                automated:
                  seed.automated === true
                    ? { prune: false, selfHeal: false }
                    : clone(seed.automated),
              },
            }
          : {}),
      },
      status: {
        history: [
          { id: 0, revision, deployedAt: now, deployStartedAt: now, source: clone(source) },
        ],
        reconciledAt: now,
        health: { status: 'Healthy' },
        summary: { images: [`${seed.image}:${seed.version}`] },
        sourceType: seed.helmParameter ? 'Helm' : 'Kustomize',
      },
    };
    const model: Model = {
      app,
      image: seed.image,
      helmParameter: seed.helmParameter ?? null,
      live: { source: clone(source), revision },
      stage: 'idle',
      until: 0,
      nextId: 1,
      lastAutoSync: null,
    };
    this.models.set(key(namespace, seed.name), model);
    this.setResources(model, 'Healthy');
    this.recompute(model);
  }

  /** Every application, in the order Argo CD's Watch lists them (by namespace/name). */
  list(): Json[] {
    return [...this.models.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, model]) => model.app);
  }

  find(namespace: string, name: string): Json | null {
    return this.models.get(key(namespace, name))?.app ?? null;
  }

  behave(version: string, behaviour: Behaviour | null): void {
    if (behaviour) this.behaviours.set(version, behaviour);
    else this.behaviours.delete(version);
  }

  /** After the spec changed (PATCH): compare again and tell watchers. */
  touched(app: Json): void {
    const model = this.modelOf(app);
    this.recompute(model);
  }

  versionOf(app: Json, source: Json = app.spec.source): string | null {
    const model = this.modelOf(app);
    if (model.helmParameter) {
      const p = (source?.helm?.parameters ?? []).find((x: Json) => x.name === model.helmParameter);
      return p?.value ?? null;
    }
    for (const text of source?.kustomize?.images ?? []) {
      const [name, tag] = String(text).split(/:(?=[^:/]*$)/);
      if (name === model.image) return tag ?? null;
    }
    return null;
  }

  private modelOf(app: Json): Model {
    const model = this.models.get(key(app.metadata.namespace, app.metadata.name));
    if (!model) throw new Error(`no application ${app.metadata.name}`);
    return model;
  }

  private tick(): void {
    const now = Date.now();
    for (const model of this.models.values()) {
      const app = model.app;
      const state = app.status.operationState;
      if (model.stage === 'idle' && app.operation) this.start(model);
      else if (model.stage === 'syncing' && state?.phase === 'Terminating') this.terminate(model);
      else if (model.stage === 'syncing' && now >= model.until) this.finish(model);
      else if (model.stage === 'refreshing' && now >= model.until)
        this.assess(model, 'Progressing');
      else if (model.stage === 'progressing' && now >= model.until) this.settle(model);
      else if (model.stage === 'idle') this.autoSync(model);
    }
  }

  private start(model: Model): void {
    const app = model.app;
    const source = clone(app.operation.sync?.source ?? app.spec.source);
    app.status.operationState = {
      operation: clone(app.operation),
      phase: 'Running',
      message: 'waiting for healthy state of apps/Deployment',
      startedAt: stamp(),
      syncResult: { revision: resolve(source), source },
    };
    model.stage = 'syncing';
    model.until = Date.now() + this.timing.syncMs;
    this.emit(model);
  }

  private finish(model: Model): void {
    const app = model.app;
    const state = app.status.operationState;
    const source = state.syncResult.source;
    const version = this.versionOf(app, source);
    state.finishedAt = stamp();
    delete app.operation;
    if (version !== null && this.behaviours.get(version) === 'fail') {
      state.phase = 'Failed';
      state.message = `one or more objects failed to apply, reason: Deployment.apps "${deploymentName(model)}" is invalid: spec.template.spec.containers[0].image: Invalid value: "${model.image}:${version}"`;
      model.stage = 'idle';
      this.recompute(model);
      return;
    }
    state.phase = 'Succeeded';
    state.message = 'successfully synced (all tasks run)';
    model.live = { source: clone(source), revision: state.syncResult.revision };
    const history: Json[] = app.status.history;
    history.push({
      id: model.nextId++,
      revision: state.syncResult.revision,
      deployedAt: state.finishedAt,
      deployStartedAt: state.startedAt,
      source: clone(source),
      initiatedBy: clone(state.operation.initiatedBy ?? {}),
    });
    // Argo CD keeps revisionHistoryLimit entries (10 by default).
    while (history.length > 10) history.shift();
    app.status.summary = { images: [`${model.image}:${version}`] };
    // Health is not assessed yet: it stays as last reconciled until the refresh.
    model.stage = 'refreshing';
    model.until = Date.now() + this.timing.refreshMs;
    this.recompute(model);
  }

  private terminate(model: Model): void {
    const state = model.app.status.operationState;
    state.phase = 'Failed';
    state.message = 'Operation terminated';
    state.finishedAt = stamp();
    delete model.app.operation;
    model.stage = 'idle';
    this.recompute(model);
  }

  private assess(model: Model, health: string, message?: string): void {
    model.app.status.reconciledAt = stamp();
    model.app.status.health = { status: health, ...(message ? { message } : {}) };
    this.setResources(model, health, message);
    model.stage = health === 'Progressing' ? 'progressing' : 'idle';
    model.until = Date.now() + this.timing.healthMs;
    this.recompute(model);
  }

  private settle(model: Model): void {
    const version = this.versionOf(model.app, model.live.source);
    if (version !== null && this.behaviours.get(version) === 'degrade') {
      this.assess(
        model,
        'Degraded',
        `Deployment "${deploymentName(model)}" exceeded its progress deadline`,
      );
    } else {
      this.assess(model, 'Healthy');
    }
  }

  /** Automated sync: an OutOfSync application is synced once per spec (as Argo CD does). */
  private autoSync(model: Model): void {
    const app = model.app;
    const automated = app.spec.syncPolicy?.automated;
    if (!automated || automated.enabled === false || app.operation) return;
    const wanted = stableJson(app.spec.source);
    if (app.status.sync.status !== 'OutOfSync' || model.lastAutoSync === wanted) return;
    model.lastAutoSync = wanted;
    app.operation = {
      sync: { revision: resolve(app.spec.source) },
      initiatedBy: { automated: true },
      retry: {},
    };
    this.emit(model);
  }

  private recompute(model: Model): void {
    const app = model.app;
    const synced = stableJson(app.spec.source) === stableJson(model.live.source);
    app.status.sync = {
      status: synced ? 'Synced' : 'OutOfSync',
      revision: resolve(app.spec.source),
      comparedTo: { source: clone(app.spec.source), destination: clone(app.spec.destination) },
    };
    for (const r of app.status.resources ?? []) r.status = synced ? 'Synced' : 'OutOfSync';
    this.emit(model);
  }

  private setResources(model: Model, health: string, message?: string): void {
    const ns = model.app.spec.destination.namespace;
    model.app.status.resources = [
      {
        version: 'v1',
        kind: 'Service',
        namespace: ns,
        name: deploymentName(model),
        status: 'Synced',
        health: { status: 'Healthy' },
      },
      {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: ns,
        name: deploymentName(model),
        status: 'Synced',
        health: { status: health, ...(message ? { message } : {}) },
      },
    ];
  }

  private emit(model: Model): void {
    model.app.metadata.resourceVersion = String(this.resourceVersion++);
    this.changed(model.app);
  }
}

function sourceFor(seed: AppSeed, version: string): Json {
  const common = { repoURL: 'https://git.example.com/deploy.git', path: `apps/${seed.name}` };
  const targetRevision = seed.targetRevision ?? 'HEAD';
  if (seed.helmParameter) {
    return {
      ...common,
      targetRevision,
      helm: { parameters: [{ name: seed.helmParameter, value: version, forceString: true }] },
    };
  }
  return { ...common, targetRevision, kustomize: { images: [`${seed.image}:${version}`] } };
}

/** A commit SHA for the source's target revision, stable for a given repository and revision. */
export function resolve(source: Json): string {
  return createHash('sha1')
    .update(`${source?.repoURL}@${source?.targetRevision ?? 'HEAD'}`)
    .digest('hex');
}

function deploymentName(model: Model): string {
  return model.image.split('/').pop() ?? model.app.metadata.name;
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function stamp(): string {
  return new Date().toISOString();
}

function stableJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null);
    return `{${keys
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
