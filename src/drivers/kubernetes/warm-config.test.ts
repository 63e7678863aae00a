import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTlsStandIn, type TlsStandIn } from '../../../test/support/tls-server.js';
import { WarmKubeConfig } from './warm-config.js';

// An API server stand-in that counts TLS connections and the credentials each request carried.
let server: TlsStandIn;
const authorizations: (string | undefined)[] = [];

beforeAll(async () => {
  server = await startTlsStandIn((req, res) => {
    authorizations.push(req.headers.authorization);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'NamespaceList', metadata: {}, items: [] }));
  });
});

afterAll(() => server.close());

function load(config: KubeConfig): KubeConfig {
  const { port } = server;
  config.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return config;
}

async function threeCalls(config: KubeConfig): Promise<number> {
  const before = server.connections();
  const core = config.makeApiClient(CoreV1Api);
  for (let i = 0; i < 3; i++) {
    await core.listNamespace();
    // A connection goes back to the pool once its response is read to the end, just after.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return server.connections() - before;
}

describe('WarmKubeConfig', () => {
  it('sends every call over one kept-alive connection, each with the credentials', async () => {
    authorizations.length = 0;
    expect(await threeCalls(load(new WarmKubeConfig()))).toBe(1);
    expect(authorizations).toEqual(Array(3).fill('Bearer secret-token'));
  });

  it("opens a new pool after the pool's lifetime", async () => {
    let now = 0;
    const config = load(new WarmKubeConfig(() => now));
    const core = config.makeApiClient(CoreV1Api);
    const before = server.connections();
    await core.listNamespace();
    await new Promise((resolve) => setTimeout(resolve, 20));
    now += 11 * 60_000;
    await core.listNamespace();
    expect(server.connections() - before).toBe(2);
  });

  it("is needed: client-node's own KubeConfig connects anew for each call", async () => {
    expect(await threeCalls(load(new KubeConfig()))).toBe(3);
  });
});
