import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { outcomeReplies } from '../../src/chat/notifier.js';
import { Config } from '../../src/config/schema.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { readOutput } from '../../src/dashboard/output.js';
import { createJenkinsDriver, id as jenkins } from '../../src/drivers/jenkins/index.js';
import type { DeployDriver } from '../../src/drivers/types.js';
import { settingsFor, tempDir } from '../support/engine-harness.js';
import { type JenkinsDouble, startJenkinsDouble } from '../support/jenkins-double.js';

/** A real Slipway (store, engine, the jenkins driver) deploying through the Jenkins double. */
interface World {
  jenkins: JenkinsDouble;
  app: App;
  driver: DeployDriver<unknown>;
  deploy(version: string): Promise<Deployment>;
  waitFinal(id: string): Promise<Deployment>;
  close(): Promise<void>;
}

const JOBS = [
  {
    name: 'platform/deploy-web',
    parameters: [{ name: 'VERSION' }, { name: 'ENVIRONMENT' }, { name: 'SLIPWAY_DEPLOYMENT_ID' }],
  },
  {
    name: 'platform/rollback-web',
    parameters: [{ name: 'VERSION' }, { name: 'SLIPWAY_DEPLOYMENT_ID' }],
  },
];

async function startWorld(): Promise<World> {
  const dir = tempDir('slipway-jenkins-');
  const log = createLogger({ level: process.env.SLIPWAY_TEST_LOG ?? 'silent' });
  // CSRF protection as on Jenkins before 2.96: every POST needs a crumb and its session.
  const double = await startJenkinsDouble({ jobs: JOBS, crumb: 'required', contextPath: '/ci' });
  const env = { JENKINS_USER: double.user, JENKINS_TOKEN: double.token };
  const driver = createJenkinsDriver(
    { dataDir: dir, env, log },
    { retry: { attempts: 3, baseMs: 50, maxWaitMs: 2_000 }, requestTimeoutMs: 5_000 },
  ) as DeployDriver<unknown>;
  const config = Config.parse({
    operator: 'operator',
    admins: ['operator'],
    environments: [{ name: 'staging', order: 1 }],
    services: [
      {
        name: 'web',
        owners: ['U-OWNER'],
        driver: {
          driver: jenkins,
          options: {
            url: double.url,
            job: 'platform/deploy-web',
            rollbackJob: 'platform/rollback-web',
            rollbackParameters: { VERSION: '{version}', SLIPWAY_DEPLOYMENT_ID: '{deploymentId}' },
            pollInterval: '50ms',
            timeout: '30s',
          },
        },
      },
    ],
    engine: { lease: '5s', pollInterval: '100ms' },
  });
  const app = await createApp({
    config,
    settings: settingsFor(dir),
    log,
    env,
    drivers: new Map([[jenkins, driver]]),
  });
  app.engine.start();
  return {
    jenkins: double,
    app,
    driver,
    async deploy(version) {
      const r = await app.engine.request({
        actor: 'operator',
        source: 'cli',
        channel: null,
        service: 'web',
        environment: 'staging',
        version,
        kind: 'deploy',
      });
      if (!r.ok) throw new Error(`refused: ${r.reason}`);
      return r.deployment;
    },
    async waitFinal(id) {
      const signal = AbortSignal.timeout(20_000);
      const d = await app.engine.waitFor(id, signal, 50);
      if (signal.aborted) throw new Error(`${id} still ${d.state}: ${d.progress ?? ''}`);
      return d;
    },
    async close() {
      await app.stop();
      await double.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('jenkins driver in a running Slipway', () => {
  let world: World;
  afterEach(() => world?.close());

  it('deploys through a Jenkins build, and rolls a failed one back through the rollback job', async () => {
    world = await startWorld();
    const { jenkins: double } = world;
    double.planNext(
      { queuePolls: 2, lines: ['+ ./deploy.sh web 1.4.2', 'deployed'] },
      {
        lines: [
          '+ ./deploy.sh web 1.5.0',
          'Error: UPGRADE FAILED: timed out waiting for the condition',
        ],
        result: 'FAILURE',
      },
      { lines: ['+ ./rollback.sh web 1.4.2'] },
    );
    double.expectCall({ method: 'POST', path: /\/buildWithParameters$/, status: 201, times: 3 });
    double.expectCall({ method: 'GET', path: /^\/crumbIssuer\/api\/json$/, times: 1 });
    double.expectCall({ method: 'GET', path: /^\/queue\/item\/\d+\/api\/json$/ });
    double.expectCall({ method: 'GET', path: /\/logText\/progressiveText$/ });

    const first = await world.deploy('1.4.2');
    const done = await world.waitFinal(first.id);
    expect(done.state).toBe('succeeded');
    expect(done.outcome).toMatch(/^Jenkins build #1 of platform\/deploy-web succeeded in \d+ms$/);
    expect(done.driverRef).toMatchObject({
      link: { label: 'Jenkins build #1', url: `${double.url}/job/platform/job/deploy-web/1/` },
      deploy: { phase: 'deploy', job: 'platform/deploy-web', queueItem: expect.any(Number) },
    });
    expect(double.builds('platform/deploy-web')[0]?.parameters).toEqual({
      VERSION: '1.4.2',
      ENVIRONMENT: 'staging',
      SLIPWAY_DEPLOYMENT_ID: first.id,
    });

    const second = await world.deploy('1.5.0');
    const failed = await world.waitFinal(second.id);
    expect(failed.state).toBe('rolled_back');
    expect(failed.outcome).toMatch(
      /^rolled back to 1\.4\.2 after: Jenkins build #2 of platform\/deploy-web failed in \d+ms: Error: UPGRADE FAILED: timed out waiting for the condition \(http:\/\/.*\/ci\/job\/platform\/job\/deploy-web\/2\/\)/,
    );
    expect(double.builds('platform/rollback-web')[0]?.parameters).toEqual({
      VERSION: '1.4.2',
      SLIPWAY_DEPLOYMENT_ID: second.id,
    });

    // The console, as `slipway logs` and the dashboard read it: both phases, in order.
    const output = await readOutput(
      { drivers: new Map([[jenkins, world.driver]]), config: world.app.config, log: world.app.log },
      failed,
    );
    expect(output?.running).toBe(false);
    expect(output?.locations).toEqual([
      `${double.url}/job/platform/job/deploy-web/2/console`,
      `${double.url}/job/platform/job/rollback-web/1/console`,
    ]);
    expect(output?.text).toMatch(
      /UPGRADE FAILED.*\nFinished: FAILURE\n\n── rollback ──\nStarted by user slipway\n[\s\S]*\+ \.\/rollback\.sh web 1\.4\.2\nFinished: SUCCESS\n$/s,
    );

    // The failure's thread reply carries the console's last words and where the rest is.
    const thread = outcomeReplies(
      { ...failed, state: 'failed' },
      (await world.app.store.getDeployment(second.id))?.outcome ?? '',
      { logs: true, messageText: 3_000 },
    );
    expect(thread[0]?.title).toContain('UPGRADE FAILED: timed out waiting for the condition');
    expect(thread[0]?.context).toEqual([`Whole output: \`slipway logs ${second.id}\``]);
    double.verify();
  });

  it('stops the Jenkins build when the deployment is cancelled', async () => {
    world = await startWorld();
    world.jenkins.planNext({ lines: ['+ ./deploy.sh web 2.0.0'], hangs: true });
    world.jenkins.expectCall({ method: 'POST', path: /\/deploy-web\/1\/stop$/, times: 1 });
    const d = await world.deploy('2.0.0');
    const deadline = Date.now() + 10_000;
    while (
      !world.jenkins.builds('platform/deploy-web')[0]?.console.includes('deploy.sh') &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 20));
    const cancelled = await world.app.engine.cancel({
      actor: 'operator',
      source: 'cli',
      channel: null,
      deploymentId: d.id,
    });
    expect(cancelled.ok).toBe(true);
    const final = await world.waitFinal(d.id);
    expect(final.state).toBe('rolled_back');
    expect(final.outcome).toBe('rolled back to the previous revision after: cancelled by operator');
    // Nothing Slipway knows of was live before: the rollback job decides with an empty version.
    expect(world.jenkins.builds('platform/rollback-web')[0]?.parameters.VERSION).toBe('');
    expect(world.jenkins.builds('platform/deploy-web')[0]?.result).toBe('ABORTED');
    world.jenkins.verify();
  });
});
