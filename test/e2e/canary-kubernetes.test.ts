import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/logger.js';
import {
  openShop,
  REPO,
  type Recording,
  recordChanges,
  routeSummary,
  type Shop,
  until,
} from '../../src/drivers/kubernetes/test-support/shop.js';
import { finalState, reasons, requestDeploy, seedLive } from '../support/canary-engine.js';
import { removeTestDir, settingsFor, tempDir } from '../support/engine-harness.js';
import { installGatewayApi } from '../support/gateway-api.js';
import {
  type Admin,
  adminOf,
  CLUSTER_START_MS,
  describeWithCluster,
  imageOf,
  startTestCluster,
  type TestCluster,
} from '../support/k8s-cluster.js';
import { type MetricsApp, startMetricsApp } from '../support/metrics-app.js';
import { type PrometheusProcess, startPrometheus } from '../support/prometheus.js';

/**
 * Slipway with its real driver registry walking a canary on the test control plane: the
 * kubernetes driver writes the canary Deployment and the router's objects (an HTTPRoute, or an
 * ingress-nginx canary Ingress) while a real Prometheus judges each step. The pods are kwok's
 * and serve nothing, so each track's traffic is a metrics app on loopback, scraped with the
 * labels the queries select (app="web-canary", app="web", the namespace the driver works in);
 * the test plays the router: when the weights on the object change, it moves the traffic.
 */

const INTERVAL = '3s';
const TOTAL_RPS = 400;
const CANARY = 'app="{canary}",namespace="{namespace}"';
const ANALYSIS = {
  interval: INTERVAL,
  minSamples: `sum(increase(http_requests_total{${CANARY}}[{interval}])) >= 20`,
  inconclusiveLimit: 1,
  consecutiveErrorLimit: 1,
  metrics: [
    {
      name: 'success-rate',
      query: `sum(rate(http_requests_total{${CANARY},code!~"5.."}[{interval}])) / sum(rate(http_requests_total{${CANARY}}[{interval}]))`,
      thresholdRange: { min: 0.95 },
    },
  ],
};

describeWithCluster('a canary on Kubernetes, walked by Slipway and judged by Prometheus', () => {
  let cluster: TestCluster;
  let admin: Admin;
  let prometheus: PrometheusProcess;
  const opened: { app: App; dir: string }[] = [];
  const recordings: Recording[] = [];
  const tracks: MetricsApp[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster();
    admin = adminOf(cluster);
    await installGatewayApi(admin.config);
    prometheus = await startPrometheus();
  }, CLUSTER_START_MS);

  afterEach(async () => {
    for (const r of recordings.splice(0)) r.stop();
    for (const { app, dir } of opened.splice(0)) {
      await app.stop();
      await removeTestDir(dir);
    }
    await Promise.all(tracks.splice(0).map((t) => t.stop()));
  });

  afterAll(async () => {
    await prometheus?.remove();
    await cluster?.stop();
  });

  /**
   * The primary's and the canary's traffic, as apps Prometheus scrapes with the labels of the
   * shop's namespace: new series per test, so no test judges another's requests.
   */
  async function trafficFor(shop: Shop, canaryErrors: number) {
    const primary = await startMetricsApp({ rps: TOTAL_RPS, errorRatio: 0.01 });
    const canary = await startMetricsApp({ rps: 0, errorRatio: canaryErrors });
    tracks.push(primary, canary);
    await prometheus.setTargets([
      { target: primary.target, labels: { app: 'web', namespace: shop.namespace } },
      { target: canary.target, labels: { app: 'web-canary', namespace: shop.namespace } },
    ]);
    return {
      /** What a router does with a canary weight: that share of the requests to the canary. */
      route(weight: number) {
        canary.set({ rps: (TOTAL_RPS * weight) / 100 });
        primary.set({ rps: (TOTAL_RPS * (100 - weight)) / 100 });
      },
    };
  }

  async function record(
    path: string,
    summary: (object: never) => string,
    onChange: (said: string) => void,
  ): Promise<Recording> {
    const recording = await recordChanges(admin.config, path, summary, onChange);
    recordings.push(recording);
    return recording;
  }

  /** Slipway on the shop's namespace: web's production releases are canaries there. */
  async function start(shop: Shop, timeout = '60s'): Promise<App> {
    const dir = tempDir('slipway-canary-k8s-');
    const config = Config.parse({
      operator: 'operator',
      admins: ['@sre'],
      groups: { sre: ['U-SRE', 'operator'] },
      environments: [{ name: 'production', order: 0, verifyWindow: '10s' }],
      services: [
        {
          name: 'web',
          image: REPO,
          owners: ['U-DEV1'],
          driver: {
            driver: 'kubernetes',
            options: {
              kubeconfig: shop.options.kubeconfig,
              namespace: shop.namespace,
              timeout,
              canary: shop.options.canary,
            },
          },
          environments: {
            production: {
              strategy: {
                canary: {
                  steps: [5, 25, 50, 100],
                  analysis: { prometheus: { url: prometheus.url }, ...ANALYSIS },
                },
              },
            },
          },
        },
      ],
      engine: { lease: '5s', pollInterval: '100ms' },
    });
    const app = await createApp({
      config,
      settings: settingsFor(dir),
      log: createLogger({ level: process.env.SLIPWAY_TEST_LOG ?? 'silent' }),
    });
    opened.push({ app, dir });
    await seedLive(app, '1.0.0');
    app.engine.start();
    return app;
  }

  it('walks a healthy canary behind an HTTPRoute through 5, 25, 50 and 100%, then promotes it', async () => {
    const shop = await openShop(cluster, admin, 'e2e-gw', {
      router: 'gateway-api',
      httpRoute: 'web',
    });
    const traffic = await trafficFor(shop, 0.01);
    const route = await record(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${shop.namespace}/httproutes`,
      routeSummary,
      (said) => traffic.route(canaryWeightOfRoute(said)),
    );
    const app = await start(shop);

    const d = await requestDeploy(app, '1.1.0');
    const done = await finalState(app, d.id, 120_000);

    expect(done.state, (await reasons(app, d.id)).join('\n')).toBe('succeeded');
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
    const passed = (await reasons(app, d.id)).filter((r) => r.startsWith('canary check passed'));
    expect(passed.map((r) => r.split(':')[0])).toEqual([
      'canary check passed at 5%',
      'canary check passed at 25%',
      'canary check passed at 50%',
    ]);
    expect(passed[0]).toMatch(/success-rate 0\.99 \(>= 0\.95\)/);
    const primary = await shop.read('web');
    expect(imageOf(primary)).toBe(`${REPO}:1.1.0`);
    expect(primary.metadata?.annotations?.['slipway.dev/deployment-id']).toBe(d.id);
    expect(await shop.canaryExists()).toBe(false);
    expect(await shop.canaryServiceExists()).toBe(false);
  }, 180_000);

  it('aborts a canary at 12% errors at its first check: weight back to 0, canary gone, primary untouched', async () => {
    const shop = await openShop(cluster, admin, 'e2e-gw-bad', {
      router: 'gateway-api',
      httpRoute: 'web',
    });
    const before = await shop.read('web');
    const traffic = await trafficFor(shop, 0.12);
    const route = await record(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${shop.namespace}/httproutes`,
      routeSummary,
      (said) => traffic.route(canaryWeightOfRoute(said)),
    );
    const app = await start(shop);

    const d = await requestDeploy(app, '1.1.1');
    const done = await finalState(app, d.id);

    expect(done.state).toBe('rolled_back');
    expect(done.outcome).toMatch(/^canary aborted at 5%: success-rate 0\.88 < 0\.95/);
    expect(done.outcome).toContain('the canary was removed and web in production stays on 1.0.0');
    await until('the route back to the primary alone', () => route.changes().at(-1) === 'web:1');
    expect(route.changes()).toEqual([
      'web:1',
      'web:100 web-canary:0',
      'web:95 web-canary:5',
      'web:100 web-canary:0',
      'web:1',
    ]);
    expect(await shop.canaryExists()).toBe(false);
    expect(await shop.canaryServiceExists()).toBe(false);
    const after = await shop.read('web');
    expect(imageOf(after)).toBe(`${REPO}:1.0.0`);
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
  }, 120_000);

  it('removes a canary whose pods never become ready, the primary untouched', async () => {
    const shop = await openShop(cluster, admin, 'e2e-gw-unready', {
      router: 'gateway-api',
      httpRoute: 'web',
    });
    const before = await shop.read('web');
    const route = await record(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${shop.namespace}/httproutes`,
      routeSummary,
      () => {},
    );
    const app = await start(shop, '8s');

    // The test control plane never readies the pods of an image tagged "bad".
    const d = await requestDeploy(app, '1.3.0-bad');
    const done = await finalState(app, d.id);

    expect(done.state).toBe('rolled_back');
    expect(done.outcome).toBe(
      'not rolled out within 8s: web-canary: ready 0 of 4; the canary was removed and web in production stays on 1.0.0',
    );
    await until('the route back to the primary alone', () => route.changes().at(-1) === 'web:1');
    expect(route.changes()).toEqual(['web:1', 'web:100 web-canary:0', 'web:1']);
    expect(await shop.canaryExists()).toBe(false);
    expect(await shop.canaryServiceExists()).toBe(false);
    const after = await shop.read('web');
    expect(imageOf(after)).toBe(`${REPO}:1.0.0`);
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
  }, 120_000);

  it('walks a healthy canary behind ingress-nginx, its canary-weight annotation following each step', async () => {
    const shop = await openShop(cluster, admin, 'e2e-nginx', {
      router: 'ingress-nginx',
      ingress: 'web',
    });
    const traffic = await trafficFor(shop, 0.01);
    const ingress = await record(
      `/apis/networking.k8s.io/v1/namespaces/${shop.namespace}/ingresses?fieldSelector=metadata.name%3Dweb-canary`,
      (object: { metadata?: { annotations?: Record<string, string> } }) => {
        const a = object.metadata?.annotations ?? {};
        return `${a['nginx.ingress.kubernetes.io/canary']}:${a['nginx.ingress.kubernetes.io/canary-weight']}`;
      },
      (said) => traffic.route(said === 'deleted' ? 0 : Number(said.split(':')[1])),
    );
    const app = await start(shop);

    const d = await requestDeploy(app, '1.2.0');
    const done = await finalState(app, d.id, 120_000);

    expect(done.state, (await reasons(app, d.id)).join('\n')).toBe('succeeded');
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
    expect(imageOf(await shop.read('web'))).toBe(`${REPO}:1.2.0`);
    expect(await shop.canaryExists()).toBe(false);
  }, 180_000);
});

/** `web:95 web-canary:5` → 5; a route without the canary's backendRef sends it nothing. */
function canaryWeightOfRoute(said: string): number {
  const ref = said.split(' ').find((part) => part.startsWith('web-canary:'));
  return ref ? Number(ref.split(':')[1]) : 0;
}
