import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type Admin,
  adminOf,
  appDeployment,
  CLUSTER_START_MS,
  describeWithCluster,
  freshNamespace,
  imageOf,
  startTestCluster,
  type TestCluster,
} from '../../../test/support/k8s-cluster.js';
import { clientCache, type KubeClients } from './client.js';
import { setImages } from './update.js';

const REPO = 'registry.example.com/web';
const never = new AbortController().signal;
const cause = { 'kubernetes.io/change-cause': 'test' };

describeWithCluster('setImages on what a watch saw', () => {
  let cluster: TestCluster;
  let admin: Admin;
  let clients: KubeClients;

  beforeAll(async () => {
    cluster = await startTestCluster();
    admin = adminOf(cluster);
    clients = clientCache({})({ kubeconfig: cluster.kubeconfig });
  }, CLUSTER_START_MS);

  afterAll(async () => {
    await cluster?.stop();
  });

  const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

  async function webIn(namespace: string) {
    return admin.apps.createNamespacedDeployment({
      namespace,
      body: appDeployment('web', `${REPO}:1.0.0`, { replicas: 1 }),
    });
  }

  it('patches the version it saw, bumping the generation', async () => {
    const namespace = await freshNamespace(admin, 'seen');
    const seen = await webIn(namespace);
    const target = { name: 'web', containers: ['web'] };
    const [written] = await setImages(
      clients,
      namespace,
      [target],
      `${REPO}:2.0.0`,
      cause,
      never,
      () => seen,
    );
    const live = await admin.apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(imageOf(live)).toBe(`${REPO}:2.0.0`);
    expect(written?.generation).toBe(live.metadata?.generation);
    expect(live.metadata?.annotations?.['kubernetes.io/change-cause']).toBe('test');
  });

  it('reads again when the Deployment changed since the watch saw it', async () => {
    const namespace = await freshNamespace(admin, 'stale');
    const seen = await webIn(namespace);
    // Someone else changes it meanwhile: the version seen is gone.
    await admin.apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] },
      jsonPatch,
    );
    const target = { name: 'web', containers: ['web'] };
    await setImages(clients, namespace, [target], `${REPO}:3.0.0`, cause, never, () => seen);
    const live = await admin.apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(imageOf(live)).toBe(`${REPO}:3.0.0`);
    expect(live.spec?.replicas).toBe(2);
  });

  it('never adds a container the watch saw but the Deployment no longer has', async () => {
    const namespace = await freshNamespace(admin, 'renamed');
    const seen = await webIn(namespace);
    await admin.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace,
        body: [{ op: 'replace', path: '/spec/template/spec/containers/0/name', value: 'server' }],
      },
      jsonPatch,
    );
    const target = { name: 'web', containers: ['web'] };
    await expect(
      setImages(clients, namespace, [target], `${REPO}:4.0.0`, cause, never, () => seen),
    ).rejects.toThrow(/has no container "web" \(it has: server\)/);
    const live = await admin.apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(live.spec?.template.spec?.containers.map((c) => `${c.name} ${c.image}`)).toEqual([
      `server ${REPO}:1.0.0`,
    ]);
  });
});
