import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApiException,
  ApiextensionsV1Api,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { TESTENV_SCRIPT } from './k8s-testenv.js';

const run = promisify(execFile);

/**
 * The Gateway API's standard CRDs (HTTPRoute among them), as scripts/k8s-testenv.sh keeps them
 * from the sigs.k8s.io/gateway-api module; fetched on first use, cached after.
 */
export async function gatewayApiCrds(): Promise<V1CustomResourceDefinition[]> {
  const { stdout } = await run('bash', [TESTENV_SCRIPT, 'gateway-api-crds'], {
    maxBuffer: 16 << 20,
    timeout: 10 * 60_000,
  });
  const dir = stdout.trim();
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => parse(readFileSync(join(dir, file), 'utf8')) as V1CustomResourceDefinition);
}

/**
 * Installs the Gateway API CRDs into a test API server and waits until every one is
 * Established, i.e. its resources are served. Installing again is harmless.
 */
export async function installGatewayApi(config: KubeConfig, timeoutMs = 60_000): Promise<void> {
  const api = config.makeApiClient(ApiextensionsV1Api);
  const crds = await gatewayApiCrds();
  for (const body of crds) {
    try {
      await api.createCustomResourceDefinition({ body });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409)) throw err;
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    for (;;) {
      const live = await api.readCustomResourceDefinition({ name });
      const established = live.status?.conditions?.find((c) => c.type === 'Established');
      if (established?.status === 'True') break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
