import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installGatewayApi } from '../../../test/support/gateway-api.js';
import {
  type Admin,
  adminOf,
  appDeployment,
  CLUSTER_START_MS,
  describeWithCluster,
  imageOf,
  startTestCluster,
  type TestCluster,
} from '../../../test/support/k8s-cluster.js';
import { optionsSchema } from './index.js';
import {
  canaryOf,
  newDriver,
  openShop,
  REPO,
  type Recording,
  recordChanges,
  routeSummary,
  until,
} from './test-support/shop.js';

describeWithCluster('kubernetes canary on a real control plane', () => {
  let cluster: TestCluster;
  let admin: Admin;
  const recordings: Recording[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster();
    admin = adminOf(cluster);
    await installGatewayApi(admin.config);
  }, CLUSTER_START_MS);

  afterAll(async () => {
    for (const r of recordings) r.stop();
    await cluster?.stop();
  });

  const shop = (prefix: string, canary: unknown, roles?: string[]) =>
    openShop(cluster, admin, prefix, canary, roles);

  async function record(path: string, summary: (object: never) => string): Promise<Recording> {
    const recording = await recordChanges(admin.config, path, summary);
    recordings.push(recording);
    return recording;
  }

  it('walks an HTTPRoute through 5, 25, 50 and 100%, then promotes: the primary runs the new version, the canary is gone', async () => {
    const s = await shop('canary-gw', { router: 'gateway-api', httpRoute: 'web' });
    const canary = canaryOf(s.driver);
    expect(s.driver.capabilities?.(s.options)).toEqual({
      status: true,
      rollbackToPrevious: true,
      canary: true,
    });
    const route = await record(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${s.namespace}/httproutes`,
      routeSummary,
    );

    expect(await canary.start(s.ctx('1.1.0'))).toEqual({
      ok: true,
      summary: 'canary web-canary 1.1.0 ready 4 of 4; 0% of the traffic by HTTPRoute web',
    });
    // The primary's Service still selects only the primary's pods; the canary's selects its own.
    expect(await s.podImages('app=web')).toEqual(Array(4).fill(`${REPO}:1.0.0`));
    const service = await admin.core.readNamespacedService({
      name: 'web-canary',
      namespace: s.namespace,
    });
    const selector = Object.entries(service.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`);
    expect(await s.podImages(selector.join(','))).toEqual(Array(4).fill(`${REPO}:1.1.0`));
    expect(await s.podImages('app=web-canary')).toHaveLength(4);

    for (const weight of [5, 25, 50, 100]) {
      const state = await canary.setWeight(s.ctx('1.1.0'), weight);
      expect(state).toMatchObject({ running: true, version: '1.1.0', weight, ready: true });
      expect(routeSummary(await s.route())).toBe(`web:${100 - weight} web-canary:${weight}`);
    }

    const promoted = await canary.promote(s.ctx('1.1.0'));
    expect(promoted).toEqual({
      ok: true,
      summary: 'promoted 1.1.0: rolled out: ready 4 of 4; canary web-canary removed',
    });
    const primary = await s.read('web');
    expect(imageOf(primary)).toBe(`${REPO}:1.1.0`);
    expect(primary.metadata?.annotations?.['kubernetes.io/change-cause']).toBe(
      'slipway: promote canary 1.1.0 by U-ALICE (dep-1.1.0)',
    );
    expect(await s.canaryExists()).toBe(false);
    expect(await s.canaryServiceExists()).toBe(false);
    await until('the route back to the primary alone', () => route.changes().at(-1) === 'web:1');
    expect(route.changes()).toEqual([
      'web:1',
      'web:100 web-canary:0',
      'web:95 web-canary:5',
      'web:75 web-canary:25',
      'web:50 web-canary:50',
      'web:0 web-canary:100',
      'web:100 web-canary:0',
      'web:1',
    ]);
    expect(await canary.state(s.ctx('1.1.0'))).toMatchObject({ running: false, weight: 0 });
  }, 120_000);

  it('walks an ingress-nginx canary Ingress through 5, 25, 50 and 100%, then aborts: weight 0, then gone; the primary untouched', async () => {
    const s = await shop('canary-nginx', { router: 'ingress-nginx', ingress: 'web' });
    const canary = canaryOf(s.driver);
    const before = await s.read('web');
    const ingress = await record(
      `/apis/networking.k8s.io/v1/namespaces/${s.namespace}/ingresses?fieldSelector=metadata.name%3Dweb-canary`,
      (object: { metadata?: { annotations?: Record<string, string> } }) => {
        const a = object.metadata?.annotations ?? {};
        return `${a['nginx.ingress.kubernetes.io/canary']}:${a['nginx.ingress.kubernetes.io/canary-weight']}`;
      },
    );

    expect(await canary.start(s.ctx('1.1.0'))).toMatchObject({ ok: true });
    const copied = await admin.networking.readNamespacedIngress({
      name: 'web-canary',
      namespace: s.namespace,
    });
    expect(copied.spec?.ingressClassName).toBe('nginx');
    expect(copied.spec?.rules).toEqual([
      {
        host: 'shop.example.test',
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: 'web-canary', port: { number: 80 } } },
            },
          ],
        },
      },
    ]);
    for (const weight of [5, 25, 50, 100]) {
      expect(await canary.setWeight(s.ctx('1.1.0'), weight)).toMatchObject({ weight });
    }

    await canary.abort(s.ctx('1.1.0'));
    await until('the canary Ingress deleted', () => ingress.changes().at(-1) === 'deleted');
    expect(ingress.changes()).toEqual([
      'true:0',
      'true:5',
      'true:25',
      'true:50',
      'true:100',
      'true:0',
      'deleted',
    ]);
    expect(await s.canaryExists()).toBe(false);
    expect(await s.canaryServiceExists()).toBe(false);
    const after = await s.read('web');
    expect(imageOf(after)).toBe(`${REPO}:1.0.0`);
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
  }, 120_000);

  it('without a router, gives the canary ceil(total × weight / 100) pods behind the same Service', async () => {
    const s = await shop('canary-pods', { router: 'replicas' });
    const canary = canaryOf(s.driver);
    expect(await canary.start(s.ctx('1.1.0'))).toEqual({
      ok: true,
      summary: 'canary web-canary 1.1.0 ready 0 of 0; 0% of the traffic by the replica ratio',
    });
    for (const [weight, pods] of [
      [25, 1],
      [50, 2],
      [100, 4],
    ] as const) {
      expect(await canary.setWeight(s.ctx('1.1.0'), weight)).toMatchObject({ weight, ready: true });
      expect((await s.read('web-canary')).spec?.replicas).toBe(pods);
      // The Service's selector takes the canary's ready pods beside the primary's four.
      expect(await s.podImages('app=web')).toEqual([
        ...Array(4).fill(`${REPO}:1.0.0`),
        ...Array(pods).fill(`${REPO}:1.1.0`),
      ]);
    }
    expect((await s.read('web')).spec?.replicas).toBe(4);
    await canary.abort(s.ctx('1.1.0'));
    expect(await s.canaryExists()).toBe(false);
  }, 120_000);

  it('repeats every step harmlessly, replaces a canary of another version, and is read back by a fresh driver', async () => {
    const s = await shop('canary-again', { router: 'gateway-api', httpRoute: 'web' });
    const canary = canaryOf(s.driver);
    const route = await record(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${s.namespace}/httproutes`,
      routeSummary,
    );
    // A deployment already cancelled writes nothing.
    const cancelled = new AbortController();
    cancelled.abort();
    await expect(
      canary.start({ ...s.ctx('1.1.0'), signal: cancelled.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(await s.canaryExists()).toBe(false);

    await canary.start(s.ctx('1.1.0'));
    const generation = (await s.read('web-canary')).metadata?.generation;
    await canary.setWeight(s.ctx('1.1.0'), 25);
    const version = (await s.route()).metadata?.resourceVersion;

    expect(await canary.start(s.ctx('1.1.0'))).toMatchObject({
      ok: true,
      summary: expect.stringContaining('25% of the traffic'),
    });
    expect(await canary.setWeight(s.ctx('1.1.0'), 25)).toMatchObject({ weight: 25 });
    expect((await s.read('web-canary')).metadata?.generation).toBe(generation);
    expect((await s.route()).metadata?.resourceVersion).toBe(version);

    // Another replica takes over: a driver with nothing in memory reads where the canary is.
    const fresh = canaryOf(newDriver());
    expect(await fresh.state(s.ctx('1.1.0'))).toEqual({
      running: true,
      version: '1.1.0',
      weight: 25,
      ready: true,
      deploymentId: 'dep-1.1.0',
      detail: 'web-canary 1.1.0: 25% by HTTPRoute web',
    });

    // A newer release replaces the leftover canary: its traffic is taken away first.
    await fresh.start(s.ctx('1.2.0'));
    expect(imageOf(await s.read('web-canary'))).toBe(`${REPO}:1.2.0`);
    expect(await fresh.state(s.ctx('1.2.0'))).toMatchObject({
      version: '1.2.0',
      weight: 0,
      deploymentId: 'dep-1.2.0',
    });
    await fresh.abort(s.ctx('1.2.0'));
    await fresh.abort(s.ctx('1.2.0'));
    await until('the route back to the primary alone', () => route.changes().at(-1) === 'web:1');
    expect(route.changes()).toEqual([
      'web:1',
      'web:100 web-canary:0',
      'web:75 web-canary:25',
      'web:100 web-canary:0',
      'web:1',
    ]);
    expect(await s.canaryExists()).toBe(false);
    expect(imageOf(await s.read('web'))).toBe(`${REPO}:1.0.0`);
  }, 120_000);

  it('refuses what would hurt: another team’s web-canary, a Service that is not in front of web, missing rights', async () => {
    const s = await shop('canary-refusals', { router: 'ingress-nginx', ingress: 'web' });
    const canary = canaryOf(s.driver);
    const theirs: V1Deployment = appDeployment('web-canary', 'their/own:1', { replicas: 1 });
    await admin.apps.createNamespacedDeployment({ namespace: s.namespace, body: theirs });

    await expect(canary.start(s.ctx('1.1.0'))).rejects.toThrow(
      `Deployment web-canary in namespace ${s.namespace} is not a Slipway canary of web`,
    );
    await canary.abort(s.ctx('1.1.0'));
    expect(imageOf(await s.read('web-canary'))).toBe('their/own:1');
    await expect(canary.setWeight(s.ctx('1.1.0'), 25)).rejects.toThrow(
      `There is no canary of web in namespace ${s.namespace} (web-canary): start it before sending it traffic.`,
    );
    await expect(canary.setWeight(s.ctx('1.1.0'), 150)).rejects.toThrow(
      'A canary weight is a whole percent from 0 to 100, not 150.',
    );

    await admin.core.createNamespacedService({
      namespace: s.namespace,
      body: {
        metadata: { name: 'docs' },
        spec: { selector: { app: 'docs' }, ports: [{ port: 80 }] },
      },
    });
    const wrong = optionsSchema.parse({
      ...s.options,
      canary: { router: 'ingress-nginx', ingress: 'web', service: 'docs' },
    });
    await expect(canary.start({ ...s.ctx('1.1.0'), options: wrong })).rejects.toThrow(
      `Service docs in namespace ${s.namespace} does not select the pods of Deployment web (its selector: app=docs): set canary.service to the Service in front of web.`,
    );

    const plain = optionsSchema.parse({ ...s.options, canary: undefined });
    expect(s.driver.capabilities?.(plain).canary).toBe(false);
    await expect(canary.start({ ...s.ctx('1.1.0'), options: plain })).rejects.toThrow(
      'web has no canary settings in staging: add canary:',
    );

    const limited = await shop('canary-rights', { router: 'gateway-api', httpRoute: 'web' }, [
      'slipway-deployer',
    ]);
    await expect(canaryOf(limited.driver).start(limited.ctx('1.1.0'))).rejects.toThrow(
      `Slipway's service account (${limited.namespace}/slipway) may not get services in namespace ${limited.namespace}: add "get" on "services" (apiGroups: [""]) to its Role`,
    );
  }, 120_000);
});
