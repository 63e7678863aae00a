import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTlsStandIn, type TlsStandIn } from '../../../test/support/tls-server.js';
import { DirectApi } from './direct.js';
import { explain } from './errors.js';

// An API server stand-in that records each request and answers what the test set.
interface Seen {
  method?: string;
  url?: string;
  authorization?: string;
  contentType?: string;
  body: string;
}
let server: TlsStandIn;
let seen: Seen[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  server = await startTlsStandIn((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.statusCode = answer.status;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(answer.body));
    });
  });
});

afterAll(() => server.close());

beforeEach(() => {
  seen = [];
  answer = { status: 200, body: { metadata: { name: 'web', generation: 7 } } };
});

function configFor(url: string, cluster: Record<string, unknown> = {}): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: url,
        caData: Buffer.from(server.certificate).toString('base64'),
        ...cluster,
      },
    ],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return config;
}

function direct(prefix = '', cluster: Record<string, unknown> = {}): DirectApi {
  const { port } = server;
  // The certificate names localhost: the CA check and the host name check both apply.
  const api = DirectApi.for(configFor(`https://localhost:${port}${prefix}`, cluster));
  if (!api) throw new Error('no direct calls for an https server');
  return api;
}

const PATH = '/apis/apps/v1/namespaces/shop/deployments/web?fieldManager=slipway';
const MERGE = 'application/strategic-merge-patch+json';

describe('DirectApi', () => {
  it('sends the patch with the kubeconfig credentials and returns the JSON answer', async () => {
    const patched = await direct().send<{ metadata: { generation: number } }>(
      'PATCH',
      PATH,
      { spec: { template: { spec: { containers: [{ name: 'web', image: 'web:2' }] } } } },
      MERGE,
    );
    expect(patched.metadata.generation).toBe(7);
    expect(seen).toEqual([
      {
        method: 'PATCH',
        url: PATH,
        authorization: 'Bearer secret-token',
        contentType: MERGE,
        body: '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:2"}]}}}}',
      },
    ]);
  });

  it('keeps the connection for the next call', async () => {
    const api = direct();
    const before = server.connections();
    for (let i = 0; i < 3; i++) {
      await api.send('PATCH', PATH, {}, MERGE);
      // A socket goes back to the pool once its response is read to the end, just after.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.connections() - before).toBe(1);
  });

  it('keeps a path prefix of the server', async () => {
    await direct('/k8s/clusters/c-1/').send('GET', PATH, undefined, MERGE);
    expect(seen[0]?.url).toBe(`/k8s/clusters/c-1${PATH}`);
    expect(seen[0]?.contentType).toBeUndefined();
  });

  it("refuses as the generated clients do, so the API server's reason is told", async () => {
    answer = {
      status: 409,
      body: {
        kind: 'Status',
        status: 'Failure',
        reason: 'Conflict',
        code: 409,
        message: 'the object has been modified; please apply your changes to the latest version',
      },
    };
    const failed = await direct()
      .send('PATCH', PATH, {}, MERGE)
      .catch((err: unknown) => err);
    const told = explain(failed, {
      verb: 'patch',
      resource: 'deployments',
      group: 'apps',
      namespace: 'shop',
      name: 'web',
      server: 'https://localhost',
    });
    expect(told.status).toBe(409);
    expect(told.retryable).toBe(true);
    expect(told.message).toBe(
      'Deployment web changed meanwhile in namespace shop: the object has been modified; please apply your changes to the latest version',
    );
  });

  it('checks the server against the CA and its name', async () => {
    const { port } = server;
    // 127.0.0.1 is not the name in the certificate, unless tls-server-name says which to expect.
    const byAddress = DirectApi.for(configFor(`https://127.0.0.1:${port}`));
    await expect(byAddress?.send('GET', PATH, undefined, MERGE)).rejects.toThrow(
      /localhost|altnames|IP/,
    );
    const named = DirectApi.for(
      configFor(`https://127.0.0.1:${port}`, { tlsServerName: 'localhost' }),
    );
    await expect(named?.send('GET', PATH, undefined, MERGE)).resolves.toBeDefined();
  });

  it('leaves a cluster behind a proxy, or over plain HTTP, to the generated clients', () => {
    const { port } = server;
    expect(
      DirectApi.for(configFor(`https://localhost:${port}`, { proxyUrl: 'http://proxy:3128' })),
    ).toBeNull();
    expect(DirectApi.for(configFor(`http://localhost:${port}`))).toBeNull();
  });
});
