import { afterAll, beforeAll, expect, it } from 'vitest';
import { deploymentTitle } from '../../src/chat/views/deployment.js';
import { type Deployment, isFinal } from '../../src/core/deployment.js';
import { deploymentSubject } from '../../src/core/message-subject.js';
import { tempDir } from '../support/engine-harness.js';
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
  waitRolledOut,
} from '../support/k8s-cluster.js';
import { type TestSchemas, testDatabaseUrl, testSchemas } from '../support/postgres.js';
import { exited } from '../support/processes.js';
import { type Replicas, startReplicas } from '../support/replicas.js';
import { eventually } from '../support/slack-harness.js';

const REPO = 'registry.example.com/web';

/**
 * Issue 6: the replica running a Kubernetes rollout dies (SIGKILL) half way; another replica
 * takes the deployment over when the lease expires, follows the same rollout to its end
 * without patching again, and the chat message reaches its final state.
 */
describeWithCluster('a replica killed mid-rollout', () => {
  let cluster: TestCluster;
  let admin: Admin;
  let schemas: TestSchemas;
  let replicas: Replicas | null = null;

  beforeAll(async () => {
    schemas = testSchemas(await testDatabaseUrl(), 'slipway_replicas_k8s');
    cluster = await startTestCluster();
    admin = adminOf(cluster);
  }, CLUSTER_START_MS);

  afterAll(async () => {
    await replicas?.close();
    await cluster?.stop();
    await schemas?.dropAll();
  });

  it('is finished by another replica after its lease expires', async () => {
    const namespace = await freshNamespace(admin, 'replicas');
    // Three pods, each ready 3 s after it starts, one new pod at a time: the rollout takes
    // about ten seconds, long enough to kill its replica in the middle.
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: appDeployment('web', `${REPO}:1.0.0`, { replicas: 3, readyDelay: '3s' }),
    });
    await waitRolledOut(admin, namespace, 'web');
    replicas = await startReplicas({
      count: 3,
      dir: tempDir('slipway-replicas-k8s-'),
      databaseUrl: schemas.next(),
      channels: ['C-WEB'],
      users: ['U-DEV1'],
      config: {
        operator: 'operator',
        groups: { devs: ['U-DEV1'] },
        environments: [{ name: 'staging', order: 1, deployers: ['@devs'], verifyWindow: '20s' }],
        services: [
          {
            name: 'web',
            image: REPO,
            channel: 'C-WEB',
            owners: ['U-DEV1'],
            driver: {
              driver: 'kubernetes',
              options: { kubeconfig: cluster.kubeconfig, namespace, timeout: '120s' },
            },
          },
        ],
        engine: { lease: '3s', pollInterval: '200ms' },
      },
    });
    const r = replicas;

    const answer = await r.slack.slashCommand({
      user: 'U-DEV1',
      channel: 'C-WEB',
      text: 'web 2.0.0 to staging',
    });
    expect(answer.status).toBe(200);

    // Mid-rollout: patched, and at least one new pod on its way but not all ready.
    const running = await eventually(async () => {
      const [d] = await r.store.listDeployments({ service: 'web', limit: 1 });
      return d?.state === 'running' && d.leaseOwner && /ready [0-2] of 3/.test(d.progress ?? '')
        ? d
        : null;
    }, 60_000);
    const live = await admin.apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(imageOf(live)).toBe(`${REPO}:2.0.0`);
    expect(live.status?.updatedReplicas ?? 0).toBeLessThan(3);

    const holder = r.byProcessId(running.leaseOwner ?? '');
    if (!holder) throw new Error(`no replica has process id ${running.leaseOwner}`);
    holder.child.kill('SIGKILL');
    await exited(holder.child);

    const done: Deployment = await eventually(async () => {
      const d = await r.store.getDeployment(running.id);
      return d && isFinal(d.state) ? d : null;
    }, 90_000);
    expect(done.state, done.outcome ?? '').toBe('succeeded');

    // Another replica resumed it; it was started (and patched) once.
    const survivors = r.servers.filter((s) => s !== holder);
    const resumed = survivors.filter((s) =>
      s.output().includes('resuming deployment left by a stopped process'),
    );
    expect(resumed).toHaveLength(1);
    const transitions = await r.store.listTransitions(running.id);
    // Claimed once; the takeover is in the history as its own transition.
    const takeovers = transitions.filter((t) => t.reason?.startsWith('resumed by '));
    expect(takeovers).toHaveLength(1);
    expect(transitions.filter((t) => t.to === 'running').length).toBe(1 + takeovers.length);
    expect(transitions.at(-1)?.to).toBe('succeeded');
    const rolled = await waitRolledOut(admin, namespace, 'web');
    expect(imageOf(rolled)).toBe(`${REPO}:2.0.0`);
    const sets = await admin.apps.listNamespacedReplicaSet({ namespace });
    expect(sets.items).toHaveLength(2);

    // The chat message, posted by whichever replica took the command, shows the outcome.
    await eventually(async () => {
      const [main] = (await r.store.listPostedMessages(deploymentSubject(running.id))).filter(
        (m) => m.purpose === 'main',
      );
      if (!main?.ts) return null;
      return r.slack.message(main.channel, main.ts)?.text.includes(deploymentTitle(done))
        ? true
        : null;
    }, 30_000);
    // One deployment message: the card is the channel's only message about it.
    const top = r.slack
      .history('C-WEB')
      .filter((m) => !m.threadTs && m.user === r.slack.config.botUserId);
    expect(top.map((m) => m.text)).toEqual([expect.stringContaining(deploymentTitle(done))]);
  }, 240_000);
});
