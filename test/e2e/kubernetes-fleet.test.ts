import { request } from 'node:https';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
import {
  type Admin,
  adminOf,
  appDeployment,
  CLUSTER_START_MS,
  describeWithCluster,
  freshNamespace,
  imageOf,
  type K8sApp,
  startK8sApp,
  startTestCluster,
  type TestCluster,
  waitRolledOut,
} from '../support/k8s-cluster.js';

const REPO = 'registry.example.com/fleet';
const ROLLOUTS = 60;
const NAMESPACES = 3;

interface Service {
  name: string;
  namespace: string;
  /** Its new version never becomes Ready (kwok leaves images tagged `bad` Pending). */
  failing: boolean;
}

function configFor(kubeconfig: string, services: Service[]) {
  return {
    operator: 'operator',
    admins: ['operator'],
    environments: [{ name: 'staging', order: 1, verifyWindow: '5s' }],
    services: services.map((s) => ({
      name: s.name,
      image: REPO,
      owners: ['U-OWNER'],
      driver: {
        driver: 'kubernetes',
        options: { kubeconfig, namespace: s.namespace, timeout: '2m' },
      },
    })),
    engine: { concurrency: ROLLOUTS },
  };
}

/** Deployment watches open on the API server that watch one namespace (the controllers' watch all). */
async function namespaceWatches(admin: Admin): Promise<number> {
  const opts: Parameters<typeof request>[1] = {};
  await admin.config.applyToHTTPSOptions(opts);
  const server = admin.config.getCurrentCluster()?.server ?? '';
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(`${server}/metrics`, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
  let open = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_longrunning_requests{')) continue;
    if (!/resource="deployments"/.test(line) || !/verb="WATCH"/.test(line)) continue;
    if (/scope="namespace"/.test(line)) open += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return open;
}

describeWithCluster('many Kubernetes rollouts followed by one process', () => {
  let cluster: TestCluster;
  let admin: Admin;
  let k: K8sApp | undefined;

  beforeAll(async () => {
    cluster = await startTestCluster();
    admin = adminOf(cluster);
  }, CLUSTER_START_MS);

  afterAll(async () => {
    await k?.close();
    await cluster?.stop();
  });

  it(`${ROLLOUTS} rollouts over ${NAMESPACES} namespaces, some failing: each ends as it should, through one watch a namespace`, async () => {
    const namespaces: string[] = [];
    for (let i = 0; i < NAMESPACES; i++) namespaces.push(await freshNamespace(admin, 'fleet'));
    const services = Array.from(
      { length: ROLLOUTS },
      (_, i): Service => ({
        name: `svc${i + 1}`,
        namespace: namespaces[i % NAMESPACES] as string,
        failing: i % 6 === 5,
      }),
    );
    await Promise.all(
      services.map((s) =>
        admin.apps.createNamespacedDeployment({
          namespace: s.namespace,
          body: appDeployment(s.name, `${REPO}:1.0.0`, { replicas: 1, progressDeadlineSeconds: 3 }),
        }),
      ),
    );
    await Promise.all(services.map((s) => waitRolledOut(admin, s.namespace, s.name, 90_000)));

    k = await startK8sApp(configFor(cluster.kubeconfig, services));
    const app = k;
    let mostWatches = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        mostWatches = Math.max(mostWatches, await namespaceWatches(admin));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    const requested = await Promise.all(
      services.map(async (s) => {
        const r = await app.app.engine.request({
          actor: 'operator',
          source: 'cli',
          channel: null,
          service: s.name,
          environment: 'staging',
          version: s.failing ? '2.0.0-bad' : '2.0.0',
          kind: 'deploy',
        });
        if (!r.ok) throw new Error(`${s.name} refused: ${r.reason}`);
        return r.deployment;
      }),
    );
    const finals: Deployment[] = await Promise.all(
      requested.map((d) => app.waitFinal(d.id, 150_000)),
    );
    sampling = false;
    await sampler;

    const expected = services.map((s) => `${s.name} ${s.failing ? 'rolled_back' : 'succeeded'}`);
    expect(finals.map((d) => `${d.service} ${d.state}`)).toEqual(expected);
    const live = await Promise.all(
      services.map(async (s) => {
        const d = await admin.apps.readNamespacedDeployment({
          name: s.name,
          namespace: s.namespace,
        });
        return `${s.name} ${imageOf(d)}`;
      }),
    );
    expect(live).toEqual(services.map((s) => `${s.name} ${REPO}:${s.failing ? '1.0.0' : '2.0.0'}`));
    // One watch per namespace, however many rollouts it holds (and the watches were seen open).
    expect(mostWatches).toBeGreaterThan(0);
    expect(mostWatches).toBeLessThanOrEqual(NAMESPACES);
  }, 240_000);
});
