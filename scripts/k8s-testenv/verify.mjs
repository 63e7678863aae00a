// Smoke check of the local control plane, without kubectl:
//   node scripts/k8s-testenv/verify.mjs KUBECONFIG
// Creates two Deployments (image tag "1.0" and "1.0-bad") and checks that the first
// becomes available with Ready pods while the second's pods never become Ready.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

const kubeconfig = readFileSync(process.argv[2], 'utf8');
const field = (name) => kubeconfig.match(new RegExp(`${name}: (\\S+)`))[1];
const b64 = (name) => Buffer.from(field(name), 'base64');
const server = new URL(field('server'));
const tls = {
  ca: b64('certificate-authority-data'),
  cert: b64('client-certificate-data'),
  key: b64('client-key-data'),
};

function api(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: server.hostname,
        port: server.port,
        method,
        path,
        ...tls,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () =>
          resolve({ status: res.statusCode, body: data ? JSON.parse(data) : null }),
        );
      },
    );
    req.on('error', reject);
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

const ns = `verify-${Date.now()}`;
const deployment = (name, image) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 2,
    progressDeadlineSeconds: 10,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image }] },
    },
  },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const t0 = Date.now();
let r = await api('POST', '/api/v1/namespaces', {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: ns },
});
if (r.status !== 201) throw new Error(`namespace: ${r.status} ${JSON.stringify(r.body)}`);
// The namespace's default service account is created by the controller-manager.
for (let i = 0; i < 100; i++) {
  if ((await api('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200) break;
  await sleep(100);
}
for (const [name, image] of [
  ['good', 'registry.example/app:1.0'],
  ['broken', 'registry.example/app:1.0-bad'],
]) {
  r = await api('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment(name, image));
  if (r.status !== 201)
    throw new Error(`deployment ${name}: ${r.status} ${JSON.stringify(r.body)}`);
}

const summary = async (name) => {
  const pods = (await api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${name}`)).body
    .items;
  const d = (await api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`)).body;
  return {
    available: d.status.availableReplicas ?? 0,
    progressing: d.status.conditions?.find((c) => c.type === 'Progressing')?.reason,
    pods: pods.map((p) => ({
      node: p.spec.nodeName,
      phase: p.status.phase,
      ready: p.status.conditions?.find((c) => c.type === 'Ready')?.status,
      waiting: p.status.containerStatuses?.[0]?.state?.waiting?.reason,
    })),
  };
};

let good;
for (let i = 0; i < 300; i++) {
  good = await summary('good');
  if (good.available === 2) break;
  await sleep(100);
}
console.log(`good after ${Date.now() - t0}ms:`, JSON.stringify(good));
let broken;
for (let i = 0; i < 200; i++) {
  broken = await summary('broken');
  if (broken.progressing === 'ProgressDeadlineExceeded') break;
  await sleep(100);
}
console.log(`broken after ${Date.now() - t0}ms:`, JSON.stringify(broken));
await api('DELETE', `/api/v1/namespaces/${ns}`);

const ok =
  good.available === 2 &&
  good.pods.length === 2 &&
  good.pods.every((p) => p.ready === 'True' && p.phase === 'Running') &&
  broken.available === 0 &&
  broken.pods.length === 2 &&
  broken.pods.every((p) => p.ready !== 'True' && p.node) &&
  broken.progressing === 'ProgressDeadlineExceeded';
console.log(ok ? 'OK' : 'FAILED');
process.exit(ok ? 0 : 1);
