import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BuildRef } from '../../src/core/deployment.js';
import { previewIdentity } from '../../src/drivers/kubernetes/preview.js';
import type { EngineEvent } from '../../src/engine/index.js';
import { previewUrl } from '../../src/engine/index.js';
import {
  type Admin,
  adminOf,
  appDeployment,
  CLUSTER_START_MS,
  describeWithCluster,
  freshNamespace,
  imageOf,
  type K8sApp,
  serviceAccountKubeconfig,
  shippedRoles,
  startK8sApp,
  startTestCluster,
  type TestCluster,
  waitRolledOut,
} from '../support/k8s-cluster.js';

const REPO = 'registry.example.com/web';

/** One service, "web", deployed by the kubernetes driver into `namespace`. */
function configFor(kubeconfig: string, namespace: string, options: Record<string, unknown> = {}) {
  return {
    operator: 'operator',
    admins: ['operator'],
    environments: [{ name: 'staging', order: 1, verifyWindow: '10s' }],
    services: [
      {
        name: 'web',
        image: REPO,
        owners: ['U-OWNER'],
        driver: {
          driver: 'kubernetes',
          options: { kubeconfig, namespace, timeout: '90s', ...options },
        },
      },
    ],
    engine: { lease: '5s', pollInterval: '100ms' },
  };
}

async function deploy(k: K8sApp, version: string, kind: 'deploy' | 'rollback' = 'deploy') {
  const r = await k.app.engine.request({
    actor: 'operator',
    source: 'cli',
    channel: null,
    service: 'web',
    environment: 'staging',
    version,
    kind,
  });
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.deployment;
}

function recordEvents(k: K8sApp): EngineEvent[] {
  const seen: EngineEvent[] = [];
  k.app.engine.events.on((e) => {
    seen.push(e);
  });
  return seen;
}

describeWithCluster('kubernetes driver against a real control plane', () => {
  let cluster: TestCluster;
  let admin: Admin;
  const apps: K8sApp[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster();
    admin = adminOf(cluster);
  }, CLUSTER_START_MS);

  afterAll(async () => {
    for (const k of apps) await k.close();
    await cluster?.stop();
  });

  async function setUp(prefix: string, d: V1Deployment, options: Record<string, unknown> = {}) {
    const namespace = await freshNamespace(admin, prefix);
    await admin.apps.createNamespacedDeployment({ namespace, body: d });
    await waitRolledOut(admin, namespace, d.metadata?.name ?? '');
    const k = await startK8sApp(configFor(cluster.kubeconfig, namespace, options));
    apps.push(k);
    return { namespace, k };
  }

  const live = (namespace: string) =>
    admin.apps.readNamespacedDeployment({ name: 'web', namespace });

  it('deploys a new version and follows the rollout to the end, reporting progress', async () => {
    const { namespace, k } = await setUp(
      'rollout',
      appDeployment('web', `${REPO}:1.0.0`, { replicas: 3, readyDelay: '1500ms' }),
    );
    const events = recordEvents(k);
    const d = await deploy(k, '1.1.0');
    const done = await k.waitFinal(d.id);

    expect(done.state).toBe('succeeded');
    const after = await live(namespace);
    expect(imageOf(after)).toBe(`${REPO}:1.1.0`);
    expect(after.status).toMatchObject({ updatedReplicas: 3, availableReplicas: 3, replicas: 3 });
    expect(after.metadata?.annotations).toMatchObject({
      'slipway.dev/deployment-id': d.id,
      'slipway.dev/requested-by': 'operator',
      'kubernetes.io/change-cause': `slipway: deploy web 1.1.0 by operator (${d.id})`,
    });
    const progress = events.flatMap((e) =>
      e.type === 'progress' && e.deployment.id === d.id ? [e.text] : [],
    );
    // Each new pod takes 1.5 s to become Ready: the rollout is seen part way, then whole.
    expect(progress.some((t) => /ready [0-2] of 3/.test(t))).toBe(true);
    expect(done.progress).toMatch(/ready 3 of 3/);
    expect(done.outcome).toContain('1.1.0 is live and healthy');
  });

  it('follows a rollout that stays quiet for longer than 30 s without calling it trouble', async () => {
    // client-node closes a watch that has said nothing for 30 s, and the API server sends a
    // bookmark only about once a minute: waiting for a slow pod is such a silence.
    const { k } = await setUp(
      'quiet',
      appDeployment('web', `${REPO}:1.0.0`, { replicas: 1, readyDelay: '40s' }),
    );
    const events = recordEvents(k);
    const d = await deploy(k, '1.1.0');
    const done = await k.waitFinal(d.id, 90_000);

    expect(done.state).toBe('succeeded');
    const progress = events.flatMap((e) =>
      e.type === 'progress' && e.deployment.id === d.id ? [e.text] : [],
    );
    expect(progress.filter((t) => t.startsWith('waiting for the Kubernetes API'))).toEqual([]);
    expect(done.outcome).toContain('1.1.0 is live and healthy');
  }, 120_000);

  it('fails a rollout whose pods never become ready and rolls back to the previous version', async () => {
    const { namespace, k } = await setUp(
      'bad',
      appDeployment('web', `${REPO}:1.0.0`, { progressDeadlineSeconds: 4 }),
    );
    const first = await k.waitFinal((await deploy(k, '1.0.0')).id);
    expect(first.state).toBe('succeeded');

    const events = recordEvents(k);
    const bad = await deploy(k, '2.0.0-bad');
    const done = await k.waitFinal(bad.id);

    expect(done.state).toBe('rolled_back');
    expect(done.outcome).toMatch(
      /rolled back to 1\.0\.0 after: web exceeded its progress deadline/,
    );
    const states = events.flatMap((e) =>
      e.type === 'transition' && e.deployment.id === bad.id ? [e.deployment.state] : [],
    );
    expect(states).toEqual(['requested', 'queued', 'running', 'rolling_back', 'rolled_back']);
    const announced = events.find(
      (e) => e.type === 'transition' && e.deployment.state === 'rolling_back',
    );
    expect(announced?.type === 'transition' && announced.transition.reason).toMatch(
      /progress deadline.*rolling back to 1\.0\.0/,
    );
    const after = await waitRolledOut(admin, namespace, 'web');
    expect(imageOf(after)).toBe(`${REPO}:1.0.0`);
    expect(after.metadata?.annotations?.['kubernetes.io/change-cause']).toContain(
      'roll back web to 1.0.0',
    );
  });

  it('rolls back to the previous revision when a rollout is not healthy within the window', async () => {
    const { namespace, k } = await setUp('window', appDeployment('web', `${REPO}:1.0.0`), {
      timeout: '6s',
    });
    // Slipway has no record of what ran before: the driver's own revision history decides.
    const bad = await deploy(k, '3.0.0-bad');
    const done = await k.waitFinal(bad.id);

    expect(done.state).toBe('rolled_back');
    expect(done.outcome).toMatch(/after: not rolled out within 6s: web: ready 0 of 2/);
    const after = await waitRolledOut(admin, namespace, 'web');
    expect(imageOf(after)).toBe(`${REPO}:1.0.0`);
  });

  it('rolls back by hand like kubectl rollout undo: the earlier template returns whole', async () => {
    const { namespace, k } = await setUp(
      'undo',
      appDeployment('web', `${REPO}:1.0.0`, { env: { FLAVOUR: 'original' } }),
    );
    for (const version of ['1.1.0', '1.2.0']) {
      expect((await k.waitFinal((await deploy(k, version)).id)).state).toBe('succeeded');
    }
    // Someone changed the environment out of band since 1.0.0; undo brings 1.0.0's back.
    await admin.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace,
        body: [
          { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: 'changed' },
        ],
      },
      (await import('@kubernetes/client-node')).setHeaderOptions(
        'Content-Type',
        'application/json-patch+json',
      ),
    );
    await waitRolledOut(admin, namespace, 'web');

    const back = await k.app.engine.request({
      actor: 'operator',
      source: 'cli',
      channel: null,
      service: 'web',
      environment: 'staging',
      version: null,
      kind: 'rollback',
    });
    if (!back.ok) throw new Error(back.reason);
    expect(back.deployment.version).toBe('1.1.0');
    const rolled = await k.waitFinal(back.deployment.id);
    expect(rolled.state).toBe('succeeded');
    expect(rolled.outcome).toContain('1.1.0 is live and healthy');
    let after = await live(namespace);
    expect(imageOf(after)).toBe(`${REPO}:1.1.0`);
    expect(after.spec?.template.spec?.containers[0]?.env).toEqual([
      { name: 'FLAVOUR', value: 'original' },
    ]);

    const original = await deploy(k, '1.0.0', 'rollback');
    expect((await k.waitFinal(original.id)).state).toBe('succeeded');
    after = await live(namespace);
    expect(imageOf(after)).toBe(`${REPO}:1.0.0`);
    // Revisions are reused, not duplicated: 1.0.0, 1.1.0, 1.2.0, the env change, and no more.
    const sets = await admin.apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
    expect(sets.items).toHaveLength(4);
    expect(Number(after.metadata?.annotations?.['deployment.kubernetes.io/revision'])).toBe(6);
  });

  it('keeps following a rollout while the API server restarts, and ends it right', async () => {
    const { namespace, k } = await setUp(
      'restart',
      appDeployment('web', `${REPO}:1.0.0`, { replicas: 3, readyDelay: '2s' }),
    );
    const events = recordEvents(k);
    const d = await deploy(k, '1.1.0');
    // Restart once the rollout is under way: the first progress report says so.
    await until(() => events.some((e) => e.type === 'progress' && e.deployment.id === d.id));
    await cluster.restartApiServer(3);
    const done = await k.waitFinal(d.id, 120_000);

    expect(done.state).toBe('succeeded');
    // The chat message said what held the rollout up while the API server was away.
    const progress = events.flatMap((e) =>
      e.type === 'progress' && e.deployment.id === d.id ? [e.text] : [],
    );
    expect(progress.some((t) => t.startsWith('waiting for the Kubernetes API: Cannot reach'))).toBe(
      true,
    );
    expect(done.outcome).toContain('1.1.0 is live and healthy');
    const after = await waitRolledOut(admin, namespace, 'web');
    expect(imageOf(after)).toBe(`${REPO}:1.1.0`);
    // Patched once: a re-attached watch does not deploy again.
    const sets = await admin.apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
    expect(sets.items).toHaveLength(2);
  }, 180_000);

  it('deploys with the Role in deploy/kubernetes/rbac.yaml, and says which right is missing without it', async () => {
    const namespace = await freshNamespace(admin, 'rbac');
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: appDeployment('web', `${REPO}:1.0.0`),
    });
    await waitRolledOut(admin, namespace, 'web');
    const roles = shippedRoles();
    const deployer = roles.find((r) => r.metadata?.name === 'slipway-deployer');
    if (!deployer?.rules)
      throw new Error('deploy/kubernetes/rbac.yaml has no slipway-deployer Role');

    const allowed = await serviceAccountKubeconfig(
      cluster,
      admin,
      namespace,
      'slipway',
      deployer.rules,
    );
    const ok = await startK8sApp(configFor(allowed, namespace));
    apps.push(ok);
    const first = await ok.waitFinal((await deploy(ok, '1.1.0')).id);
    expect(first.state).toBe('succeeded');
    // Rollback needs the ReplicaSet history: the shipped Role allows reading it.
    const back = await ok.waitFinal((await deploy(ok, '1.0.0', 'rollback')).id);
    expect(back.state).toBe('succeeded');
    expect(imageOf(await live(namespace))).toBe(`${REPO}:1.0.0`);

    const withoutPatch = deployer.rules.map((rule) => ({
      ...rule,
      verbs: rule.verbs.filter((verb) => verb !== 'patch'),
    }));
    const limited = await serviceAccountKubeconfig(
      cluster,
      admin,
      namespace,
      'slipway-readonly',
      withoutPatch,
    );
    const refused = await startK8sApp(configFor(limited, namespace));
    apps.push(refused);
    const failed = await refused.waitFinal((await deploy(refused, '1.2.0')).id);
    expect(failed.state).toBe('failed');
    expect(failed.outcome).toBe(
      `kubernetes driver error: Slipway's service account (${namespace}/slipway-readonly) may not patch deployments in namespace ${namespace}: add "patch" on "deployments" (apiGroups: ["apps"]) to its Role, as in deploy/kubernetes/rbac.yaml.`,
    );
    expect(imageOf(await live(namespace))).toBe(`${REPO}:1.0.0`);
  });

  it('creates a preview per branch, updates it with the next build, and tears it down on close or expiry', async () => {
    const namespace = await freshNamespace(admin, 'preview');
    const preview = {
      baseDomain: 'preview.example.test',
      port: 8080,
      ttl: '1h',
      ingressClassName: 'nginx',
    };
    const config = configFor(cluster.kubeconfig, namespace);
    const k = await startK8sApp({
      ...config,
      environments: [
        { name: 'preview', order: 0 },
        { name: 'review-app', order: 0 },
        ...config.environments,
      ],
      services: [
        {
          ...config.services[0],
          environments: {
            preview: { options: { mode: 'preview', preview } },
            'review-app': { options: { mode: 'preview', preview: { ...preview, ttl: '2s' } } },
            staging: null,
          },
        },
      ],
    });
    apps.push(k);
    const build = async (version: string, ref: BuildRef, environment = 'preview') => {
      const r = await k.app.engine.request({
        actor: 'U-CI',
        source: 'webhook',
        channel: null,
        service: 'web',
        environment,
        version,
        ref,
        kind: 'deploy',
      });
      if (!r.ok) throw new Error(r.reason);
      return k.waitFinal(r.deployment.id);
    };
    const login: BuildRef = { type: 'branch', name: 'feature/login' };
    const { name, host } = previewIdentity('web', 'preview', login, preview.baseDomain);

    const first = await build('abc123', login);
    expect(first.state).toBe('succeeded');
    expect(previewUrl(first)).toBe(`http://${host}`);
    expect(host).toMatch(/^feature-login-[0-9a-f]{6}\.branch\.preview\.example\.test$/);
    const created = await admin.apps.readNamespacedDeployment({ name, namespace });
    expect(imageOf(created)).toBe(`${REPO}:abc123`);
    expect(created.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'slipway',
      'slipway.dev/ref-type': 'branch',
    });
    const service = await admin.core.readNamespacedService({ name, namespace });
    expect(service.spec?.ports?.[0]).toMatchObject({ port: 80, targetPort: 8080 });
    const ingress = await admin.networking.readNamespacedIngress({ name, namespace });
    expect(ingress.spec?.rules?.[0]?.host).toBe(host);
    expect(ingress.spec?.ingressClassName).toBe('nginx');

    // Another branch gets its own preview beside it; the next build of the first updates it.
    const other = await build('fff999', { type: 'branch', name: 'fix-typo' });
    expect(previewUrl(other)).toBe('http://fix-typo.branch.preview.example.test');
    const second = await build('def456', login);
    expect(second.state).toBe('succeeded');
    const updated = await admin.apps.readNamespacedDeployment({ name, namespace });
    expect(imageOf(updated)).toBe(`${REPO}:def456`);
    expect(updated.metadata?.uid).toBe(created.metadata?.uid);
    expect((await admin.core.readNamespacedService({ name, namespace })).spec?.clusterIP).toBe(
      service.spec?.clusterIP,
    );

    // The owner closes the review of the login build: its three objects go, the other stays.
    const closed = await k.app.engine.closeReview({
      deploymentId: second.id,
      actor: 'U-OWNER',
      channel: null,
      source: 'cli',
    });
    expect(closed.ok).toBe(true);
    await expectGone(namespace, name);
    const kept = await admin.apps.listNamespacedDeployment({ namespace });
    expect(kept.items.map((d) => d.metadata?.name)).toEqual(['web-branch-fix-typo']);

    // A review app with a 2 s time to live is removed by the sweep once that has passed.
    const short = await build('aaa111', { type: 'tag', name: 'v1.0.0' }, 'review-app');
    const shortName = previewIdentity(
      'web',
      'review-app',
      { type: 'tag', name: 'v1.0.0' },
      preview.baseDomain,
    ).name;
    expect(short.state).toBe('succeeded');
    expect(await k.app.engine.sweep()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await k.app.engine.sweep()).toEqual([shortName]);
    await expectGone(namespace, shortName);
    expect((await admin.apps.listNamespacedDeployment({ namespace })).items).toHaveLength(1);
  });

  async function expectGone(namespace: string, name: string) {
    const gone = (p: Promise<unknown>) =>
      p.then(
        () => 'still there',
        (err: { code?: number }) => (err.code === 404 ? 'gone' : `error ${err.code}`),
      );
    expect(
      await Promise.all([
        gone(admin.networking.readNamespacedIngress({ name, namespace })),
        gone(admin.core.readNamespacedService({ name, namespace })),
      ]),
    ).toEqual(['gone', 'gone']);
    // The Deployment is deleted in the background (its ReplicaSets and pods first).
    const deadline = Date.now() + 30_000;
    while ((await gone(admin.apps.readNamespacedDeployment({ name, namespace }))) !== 'gone') {
      if (Date.now() > deadline) throw new Error(`${namespace}/${name} was not deleted`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
});

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
