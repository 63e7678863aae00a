import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Config } from '../../src/config/schema.js';
import {
  CHART,
  type K8sObject,
  type Outcome,
  objectsOf,
  prometheusOperatorCrds,
  runTool,
  testenvTools,
  valuesFile,
} from '../support/helm.js';
import {
  type Admin,
  adminOf,
  CLUSTER_START_MS,
  describeWithCluster,
  freshNamespace,
  startTestCluster,
  type TestCluster,
  waitRolledOut,
} from '../support/k8s-cluster.js';

/**
 * deploy/helm/slipway, linted and rendered by a real helm (built from its Go module by
 * scripts/k8s-testenv.sh) and judged by a real kube-apiserver: a server-side dry run runs
 * the API server's defaulting, validation and admission (and the CRD's schema for the
 * ServiceMonitor) without storing anything. RBAC is not part of a dry run, so the Roles are
 * applied for real and asked with `kubectl auth can-i` as the chart's ServiceAccount.
 */

/** Several replicas on Postgres with every optional object on, credentials from Secrets. */
function fullValues(deployTo: string[], previews: string[], canaries: string[] = []) {
  return {
    replicaCount: 3,
    database: { type: 'postgres', existingSecret: 'slipway-db' },
    secrets: {
      existingSecret: 'slipway',
      env: { GITHUB_TOKEN: { secret: 'github', key: 'token' }, ARGOCD_TOKEN: null },
    },
    env: { ARGOCD_SERVER: 'https://argocd.example.com', SLIPWAY_LOG_LEVEL: 'info' },
    autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 10 },
    podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
    ingress: {
      enabled: true,
      className: 'nginx',
      hosts: [{ host: 'slipway.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }],
      tls: [{ secretName: 'slipway-tls', hosts: ['slipway.example.com'] }],
    },
    serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
    rbac: { namespaces: deployTo, previewNamespaces: previews, canaryNamespaces: canaries },
  };
}

const kinds = (objects: K8sObject[]) => objects.map((o) => o.kind).sort();
const find = (objects: K8sObject[], kind: string) => {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} in ${kinds(objects).join(', ')}`);
  return found as K8sObject & { spec: Record<string, unknown> };
};

describeWithCluster('the Helm chart against a real API server', () => {
  let cluster: TestCluster;
  let admin: Admin;
  let tools: { helm: string; kubectl: string };
  let dir = '';
  let helmEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-helm-'));
    // helm keeps its cache and settings here, not in the home directory.
    helmEnv = {
      ...process.env,
      HELM_CACHE_HOME: join(dir, 'helm/cache'),
      HELM_CONFIG_HOME: join(dir, 'helm/config'),
      HELM_DATA_HOME: join(dir, 'helm/data'),
    };
    // One after the other: both build missing binaries into the same cache.
    cluster = await startTestCluster();
    tools = await testenvTools();
    admin = adminOf(cluster);
    const crd = await prometheusOperatorCrds(join(dir, 'crds'));
    await must(kubectl(['apply', '--server-side', '-f', crd]));
    await must(
      kubectl([
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        'crd/servicemonitors.monitoring.coreos.com',
      ]),
    );
  }, CLUSTER_START_MS);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const helm = (args: string[]) => runTool(tools.helm, args, { env: helmEnv });
  const kubectl = (args: string[], input?: string) =>
    runTool(tools.kubectl, ['--kubeconfig', cluster.kubeconfig, ...args], {
      ...(input === undefined ? {} : { input }),
    });
  async function must(outcome: Promise<Outcome>): Promise<string> {
    const { code, stdout, stderr } = await outcome;
    if (code !== 0) throw new Error(`exit ${code}:\n${stderr}\n${stdout}`);
    return stdout;
  }
  const render = (namespace: string, values: string[] = []) =>
    helm([
      'template',
      'slipway',
      CHART,
      '--namespace',
      namespace,
      ...values.flatMap((v) => ['-f', v]),
    ]);
  /** Server-side apply as a dry run: validated and admitted, nothing stored. */
  const dryRun = (manifest: string) =>
    kubectl(
      ['apply', '--server-side', '--dry-run=server', '--field-manager=slipway-test', '-f', '-'],
      manifest,
    );

  it('passes helm lint --strict with the default values and with every option on', async () => {
    const full = valuesFile(dir, 'lint-full', fullValues(['web'], ['previews']));
    for (const values of [[], ['-f', full]]) {
      const out = await helm(['lint', CHART, '--strict', ...values]);
      expect(out.code, out.stdout + out.stderr).toBe(0);
      expect(out.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it('renders the defaults (one replica, SQLite on a volume) and the API server accepts them', async () => {
    const namespace = await freshNamespace(admin, 'helm-default');
    const manifest = await must(render(namespace));
    const objects = objectsOf(manifest);
    expect(kinds(objects)).toEqual([
      'ConfigMap',
      'Deployment',
      'PersistentVolumeClaim',
      'Service',
      'ServiceAccount',
    ]);
    const deployment = find(objects, 'Deployment');
    expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    // The chart's own slipway.yaml is a valid Slipway config.
    const configMap = find(objects, 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(Config.safeParse(parse(configMap.data['slipway.yaml'] ?? '')).success).toBe(true);

    const out = await dryRun(manifest);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`deployment.apps/slipway serverside-applied (server dry run)`);
  });

  it('renders Postgres with 3 replicas, HPA, PDB, Ingress, ServiceMonitor and Roles, all accepted', async () => {
    const namespace = await freshNamespace(admin, 'helm-full');
    const web = await freshNamespace(admin, 'helm-web');
    const previews = await freshNamespace(admin, 'helm-previews');
    const values = valuesFile(dir, 'full', fullValues([web], [previews]));
    const manifest = await must(render(namespace, [values]));
    const objects = objectsOf(manifest);
    expect(kinds(objects)).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Ingress',
        'PodDisruptionBudget',
        'Role',
        'Role',
        'RoleBinding',
        'RoleBinding',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ].sort(),
    );
    const deployment = find(objects, 'Deployment');
    // The HPA owns the replica count; rolling updates keep every replica serving.
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    const env = JSON.stringify(deployment.spec.template);
    expect(env).toContain(
      '"name":"SLIPWAY_DATABASE_URL","valueFrom":{"secretKeyRef":{"name":"slipway-db"',
    );
    expect(env).toContain('{"name":"github","key":"token","optional":true}');
    expect(env).not.toContain('ARGOCD_TOKEN');
    expect(find(objects, 'HorizontalPodAutoscaler').spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
    });

    const out = await dryRun(manifest);
    expect(out.code, out.stderr).toBe(0);
    for (const name of [
      'servicemonitor.monitoring.coreos.com/slipway',
      'horizontalpodautoscaler.autoscaling/slipway',
      'poddisruptionbudget.policy/slipway',
      'ingress.networking.k8s.io/slipway',
      'role.rbac.authorization.k8s.io/slipway-deployer',
      'role.rbac.authorization.k8s.io/slipway-previews',
    ])
      expect(out.stdout).toContain(`${name} serverside-applied (server dry run)`);
  });

  it('refuses SQLite with several replicas or autoscaling, saying what to change', async () => {
    const two = await render('default', [valuesFile(dir, 'sqlite-2', { replicaCount: 2 })]);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toContain(
      'replicaCount is 2 but database.type is sqlite: SQLite is a file on one volume and serves one Slipway server. Set database.type=postgres',
    );
    const hpa = await render('default', [
      valuesFile(dir, 'sqlite-hpa', { autoscaling: { enabled: true } }),
    ]);
    expect(hpa.code).not.toBe(0);
    expect(hpa.stderr).toContain('autoscaling.enabled needs several replicas');
    const noUrl = await render('default', [
      valuesFile(dir, 'pg-no-secret', { database: { type: 'postgres' } }),
    ]);
    expect(noUrl.code).not.toBe(0);
    expect(noUrl.stderr).toContain('no Secret holds its URL');
    const typo = await render('default', [valuesFile(dir, 'typo', { replicas: 3 })]);
    expect(typo.stderr).toContain("additional properties 'replicas' not allowed");
  });

  it('is a real check: the dry run refuses what the API server would refuse', async () => {
    const namespace = await freshNamespace(admin, 'helm-broken');
    const objects = objectsOf(
      await must(render(namespace, [valuesFile(dir, 'broken', fullValues([], []))])),
    );
    const deployment = find(objects, 'Deployment');
    const broken = {
      ...deployment,
      spec: { ...deployment.spec, selector: { matchLabels: { app: 'something-else' } } },
    };
    const refused = await dryRun(JSON.stringify(broken));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('`selector` does not match template `labels`');

    // The ServiceMonitor is checked against the CRD's schema, not waved through.
    const monitor = find(objects, 'ServiceMonitor');
    const endpoints = monitor.spec.endpoints as Record<string, unknown>[];
    const badInterval = {
      ...monitor,
      spec: { ...monitor.spec, endpoints: [{ ...endpoints[0], interval: 'every minute' }] },
    };
    const schema = await dryRun(JSON.stringify(badInterval));
    expect(schema.code).not.toBe(0);
    expect(schema.stderr).toContain('spec.endpoints[0].interval');
  });

  it("gives the ServiceAccount the driver's rights in the listed namespaces and no others", async () => {
    const namespace = await freshNamespace(admin, 'helm-rbac');
    const web = await freshNamespace(admin, 'helm-rbac-web');
    const previews = await freshNamespace(admin, 'helm-rbac-previews');
    const canaries = await freshNamespace(admin, 'helm-rbac-canaries');
    const other = await freshNamespace(admin, 'helm-rbac-other');
    const manifest = await must(
      render(namespace, [valuesFile(dir, 'rbac', fullValues([web], [previews], [canaries]))]),
    );
    const rbac = objectsOf(manifest).filter((o) =>
      ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind),
    );
    await must(
      kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({ kind: 'List', apiVersion: 'v1', items: rbac }),
      ),
    );

    const as = `system:serviceaccount:${namespace}:slipway`;
    const can = async (verb: string, resource: string, ns: string) =>
      (await kubectl(['auth', 'can-i', verb, resource, '-n', ns, `--as=${as}`])).stdout.trim();
    expect(await can('patch', 'deployments.apps', web)).toBe('yes');
    expect(await can('watch', 'deployments.apps', web)).toBe('yes');
    expect(await can('list', 'replicasets.apps', web)).toBe('yes');
    expect(await can('create', 'deployments.apps', web)).toBe('no');
    expect(await can('delete', 'deployments.apps', web)).toBe('no');
    expect(await can('get', 'secrets', web)).toBe('no');
    expect(await can('create', 'deployments.apps', previews)).toBe('yes');
    expect(await can('create', 'services', previews)).toBe('yes');
    expect(await can('delete', 'ingresses.networking.k8s.io', previews)).toBe('yes');
    expect(await can('create', 'deployments.apps', canaries)).toBe('yes');
    expect(await can('delete', 'services', canaries)).toBe('yes');
    expect(await can('patch', 'ingresses.networking.k8s.io', canaries)).toBe('yes');
    expect(await can('update', 'deployments.apps', canaries)).toBe('no');
    expect(await can('delete', 'services', web)).toBe('no');
    expect(await can('patch', 'deployments.apps', other)).toBe('no');
    expect(await can('patch', 'deployments.apps', namespace)).toBe('no');
  });

  it('installs with helm and rolls out (kwok stands in for the kubelet)', async () => {
    const namespace = await freshNamespace(admin, 'helm-install');
    await admin.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'slipway' },
        stringData: { SLIPWAY_DATABASE_URL: 'postgres://slipway@postgres:5432/slipway' },
      },
    });
    const values = valuesFile(dir, 'install', {
      replicaCount: 2,
      database: { type: 'postgres' },
      secrets: { existingSecret: 'slipway' },
      image: { repository: 'registry.example.com/slipway', tag: '0.1.0' },
    });
    const out = await helm([
      'install',
      'slipway',
      CHART,
      '--namespace',
      namespace,
      '--kubeconfig',
      cluster.kubeconfig,
      '-f',
      values,
      '--wait',
      '--timeout',
      '2m',
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('STATUS: deployed');
    expect(out.stdout).toContain(`kubectl -n ${namespace} rollout status deployment/slipway`);
    const rolled = await waitRolledOut(admin, namespace, 'slipway');
    expect(rolled.status?.availableReplicas).toBe(2);
  }, 180_000);
});
