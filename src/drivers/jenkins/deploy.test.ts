import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JenkinsHandle } from './index.js';
import { DEPLOY_JOB, makeWorld, type TestContext, type World } from './test-support/world.js';

let world: World;
afterEach(() => world?.close());

const TRIGGER = /^\/job\/platform\/job\/deploy-web\/buildWithParameters$/;
const QUEUE = /^\/queue\/item\/\d+\/api\/json$/;
const BUILD = /^\/job\/platform\/job\/deploy-web\/\d+\/api\/json$/;
const CONSOLE = /^\/job\/platform\/job\/deploy-web\/\d+\/logText\/progressiveText$/;
const CRUMB = /^\/crumbIssuer\/api\/json$/;
const JOB = /^\/job\/platform\/job\/deploy-web\/api\/json$/;

async function deployAndWatch(ctx: TestContext) {
  const handle = await world.driver.deploy(ctx);
  return { handle: JenkinsHandle.parse(handle), outcome: await world.driver.watch(ctx, handle) };
}

describe('jenkins deploy', () => {
  it('builds the job with its parameters, follows the queue item to the build and the build to SUCCESS', async () => {
    world = await makeWorld();
    world.jenkins.planNext({
      queuePolls: 2,
      why: 'Waiting for next available executor on ‘deploy-agents’',
      lines: ['+ ./deploy.sh web 1.2.3', 'rollout complete'],
      // Slow enough that the build is read while it runs, even on a busy machine.
      lineMs: 150,
    });
    // Recent builds first (none of this deployment), then the build and its console.
    for (const path of [JOB, BUILD, CONSOLE]) world.jenkins.expectCall({ method: 'GET', path });
    world.jenkins.expectCall({ method: 'POST', path: TRIGGER, status: 201, times: 1 });
    // The queue item is read until it left the queue: twice waiting, then with its executable.
    world.jenkins.expectCall({ method: 'GET', path: QUEUE, status: 200, times: 3 });
    world.jenkins.expectCall({ method: 'GET', path: CRUMB, times: 0 });
    const ctx = world.context({
      parameters: {
        VERSION: '{version}',
        ENVIRONMENT: '{environment}',
        SLIPWAY_DEPLOYMENT_ID: '{deploymentId}',
        REGION: 'us-east-1',
        UNDECLARED: '{service}',
      },
    });
    const { handle, outcome } = await deployAndWatch(ctx);

    const [build] = world.jenkins.builds(DEPLOY_JOB.name);
    expect(build).toMatchObject({
      number: 1,
      result: 'SUCCESS',
      parameters: {
        VERSION: '1.2.3',
        ENVIRONMENT: 'staging',
        SLIPWAY_DEPLOYMENT_ID: ctx.deployment.id,
        REGION: 'us-east-1',
      },
    });
    const [post] = world.jenkins.called('POST', TRIGGER);
    expect(post).toMatchObject({
      user: 'slipway',
      crumb: null,
      form: { VERSION: '1.2.3', ENVIRONMENT: 'staging', REGION: 'us-east-1', UNDECLARED: 'web' },
    });
    expect(handle).toMatchObject({
      phase: 'deploy',
      job: 'platform/deploy-web',
      queueItem: build?.queueId,
    });
    expect(handle.build).toBeUndefined();
    expect(handle.deadline - handle.triggeredAt).toBe(20_000);
    expect(outcome).toMatchObject({
      ok: true,
      link: {
        label: 'Jenkins build #1',
        url: `${world.jenkins.url}/job/platform/job/deploy-web/1/`,
      },
    });
    expect(outcome.ok && outcome.summary).toMatch(
      /^Jenkins build #1 of platform\/deploy-web succeeded in \d+ms$/,
    );
    expect(ctx.reported[0]).toBe(
      'queued in Jenkins: Waiting for next available executor on ‘deploy-agents’',
    );
    expect(ctx.reported.some((t) => /^build #1 running(, \d+s)?: /.test(t))).toBe(true);
    world.jenkins.verify();
  });

  it('fails with the console line that says why, and the build link', async () => {
    world = await makeWorld();
    world.jenkins.planNext({
      lines: [
        '+ kubectl rollout status deploy/web',
        'error: deployment "web" exceeded its progress deadline',
      ],
      result: 'FAILURE',
    });
    world.jenkins.expectCall({ method: 'POST', path: TRIGGER, status: 201, times: 1 });
    world.jenkins.expectCall({ method: 'GET', path: BUILD });
    world.jenkins.expectCall({ method: 'GET', path: CONSOLE });
    const { outcome } = await deployAndWatch(world.context());
    expect(outcome).toMatchObject({ ok: false, changed: true });
    expect(!outcome.ok && outcome.reason).toMatch(
      new RegExp(
        `^Jenkins build #1 of platform/deploy-web failed in \\d+ms: error: deployment "web" exceeded its progress deadline \\(${world.jenkins.url}/job/platform/job/deploy-web/1/\\)$`,
      ),
    );
    world.jenkins.verify();
  });

  it('sends a crumb with its session cookie only while Jenkins asks for one', async () => {
    world = await makeWorld({ double: { crumb: 'required' } });
    const first = world.context();
    await world.driver.deploy(first);
    // Asked: refused, crumb fetched, the same POST again with the crumb and the session cookie.
    expect(world.jenkins.calls.map((c) => `${c.method} ${c.path} ${c.status}`).slice(1)).toEqual([
      'POST /job/platform/job/deploy-web/buildWithParameters 403',
      'GET /crumbIssuer/api/json 200',
      'POST /job/platform/job/deploy-web/buildWithParameters 201',
    ]);
    const retried = world.jenkins.called('POST', TRIGGER)[1];
    expect(retried?.crumb).toMatch(/^[0-9a-f]{64}$/);
    expect(retried?.cookie).toMatch(/^JSESSIONID\.5f3c9a1e=node0[0-9a-f]+\.node0$/);

    // The crumb is kept for the next POST; when Jenkins ends the session, a new one is fetched.
    world.jenkins.expireSessions();
    await world.driver.deploy(
      world.context({}, { deployment: { id: 'd-second', correlationId: 'c-2' } }),
    );
    expect(world.jenkins.called('GET', CRUMB)).toHaveLength(2);
    expect(world.jenkins.called('POST', TRIGGER).map((c) => c.status)).toEqual([
      403, 201, 403, 201,
    ]);

    // Then CSRF protection is turned off: the crumb issuer is gone and no crumb is needed.
    world.jenkins.setCrumb('off');
    const calls = world.jenkins.calls.length;
    await world.driver.deploy(
      world.context({}, { deployment: { id: 'd-third', correlationId: 'c-3' } }),
    );
    const after = world.jenkins.calls.slice(calls).map((c) => `${c.method} ${c.path} ${c.status}`);
    expect(after).toEqual([
      'GET /job/platform/job/deploy-web/api/json 200',
      'POST /job/platform/job/deploy-web/buildWithParameters 201',
    ]);
    // And a new Slipway against a Jenkins that exempts API tokens never asks for one.
    world.jenkins.setCrumb('api-token-exempt');
    await world
      .restart()
      .deploy(world.context({}, { deployment: { id: 'd-fourth', correlationId: 'c-4' } }));
    expect(world.jenkins.called('POST', TRIGGER).at(-1)).toMatchObject({
      status: 201,
      crumb: null,
      cookie: null,
    });
    expect(world.jenkins.called('GET', CRUMB)).toHaveLength(2);
  });

  it('says so when Jenkins refuses the crumb it just issued', async () => {
    world = await makeWorld({ double: { crumb: 'required' } });
    // A proxy that drops cookies: the crumb arrives without the session it belongs to.
    world.jenkins.dropCookies(true);
    world.jenkins.expectCall({ method: 'GET', path: CRUMB, status: 200, times: 1 });
    world.jenkins.expectCall({ method: 'POST', path: TRIGGER, status: 403, times: 2 });
    await expect(world.driver.deploy(world.context())).rejects.toThrow(
      /refused the CSRF crumb it had just issued .*keep cookies through it, or tick "Enable proxy compatibility"/,
    );
    world.jenkins.verify();
  });

  it('attaches to the build an earlier attempt started instead of building again', async () => {
    world = await makeWorld();
    world.jenkins.planNext({ lines: ['+ ./deploy.sh'] });
    const ctx = world.context();
    const first = JenkinsHandle.parse(await world.driver.deploy(ctx));
    // While it waits in the queue Jenkins answers the same request with the same item (303)…
    const again = JenkinsHandle.parse(await world.driver.deploy(world.context()));
    expect(again.queueItem).toBe(first.queueItem);
    expect(world.jenkins.called('POST', TRIGGER).map((c) => c.status)).toEqual([201, 303]);
    // …and once it is a build, the build is found by the parameter naming the deployment.
    await world.driver.watch(ctx, first);
    const third = JenkinsHandle.parse(await world.restart().deploy(world.context()));
    expect(third).toMatchObject({ build: 1 });
    expect(third.queueItem).toBeUndefined();
    expect(world.jenkins.called('POST', TRIGGER)).toHaveLength(2);
    expect(world.jenkins.builds(DEPLOY_JOB.name)).toHaveLength(1);
  });

  it('finds jobs in folders from their full name or URL path, below a context path', async () => {
    world = await makeWorld({ double: { contextPath: '/jenkins' } });
    expect(world.jenkins.url).toMatch(/\/jenkins$/);
    world.jenkins.expectCall({ method: 'POST', path: TRIGGER, status: 201, times: 2 });
    await world.driver.deploy(world.context({ job: 'job/platform/job/deploy-web/' }));
    await world.driver.deploy(
      world.context(
        { url: `${world.jenkins.url}/` },
        { deployment: { id: 'd-other', correlationId: 'c-o' } },
      ),
    );
    world.jenkins.verify();
  });

  it('says what to fix when Jenkins refuses', async () => {
    world = await makeWorld({
      double: {
        jobs: [
          DEPLOY_JOB,
          { name: 'plain', parameters: null },
          { name: 'off', parameters: [], disabled: true },
        ],
      },
    });
    const cases: [NodeJS.ProcessEnv, Record<string, unknown>, RegExp][] = [
      [
        { JENKINS_TOKEN: 'wrong' },
        {},
        /rejected the credentials in JENKINS_USER and JENKINS_TOKEN while Slipway tried to list the builds of platform\/deploy-web \(401: Error 401 Invalid password\/token for user: slipway\): set JENKINS_TOKEN/,
      ],
      [
        {},
        { job: 'platform/deplyo-web' },
        /has no job platform\/deplyo-web \(404: Error 404 Not Found\): check "job" in the jenkins options/,
      ],
      [
        {},
        { job: 'plain', parameters: { V: '{version}' } },
        /job plain takes no parameters \(400: .*\): tick "This project is parameterized"/,
      ],
      [
        {},
        { job: 'off', parameters: { V: '{version}' } },
        /job off cannot be built now \(409: .*\): enable it in Jenkins/,
      ],
    ];
    for (const [env, options, message] of cases) {
      Object.assign(world.env, { JENKINS_TOKEN: world.jenkins.token }, env);
      await expect(world.driver.deploy(world.context(options))).rejects.toThrow(message);
    }
    world.jenkins.denyBuild(true);
    await expect(world.driver.deploy(world.context())).rejects.toThrow(
      /refused to let "slipway" build platform\/deploy-web \(403: Error 403 slipway is missing the Job\/Build permission\): give "slipway" Overall\/Read, Job\/Read, Job\/Build and Job\/Cancel/,
    );
    expect(world.jenkins.builds(DEPLOY_JOB.name)).toHaveLength(0);
  });

  it('needs a user and token, from the environment or a file, under its own prefix per server', async () => {
    world = await makeWorld({ env: { JENKINS_TOKEN: '' } });
    await expect(world.driver.deploy(world.context())).rejects.toThrow(
      /^JENKINS_TOKEN is not set: give Slipway a Jenkins user in JENKINS_USER and one of its API tokens in JENKINS_TOKEN \(or JENKINS_TOKEN_FILE\)/,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'slipway-jenkins-')), 'token');
    writeFileSync(file, `${world.jenkins.token}\n`);
    world.env.JENKINS_TOKEN_FILE = file;
    await world.driver.deploy(world.context());
    expect(world.jenkins.called('POST', TRIGGER).map((c) => c.status)).toEqual([201]);

    await expect(
      world.driver.deploy(
        world.context(
          { credentialsEnv: 'JENKINS_PROD' },
          { deployment: { id: 'd-p', correlationId: 'c-p' } },
        ),
      ),
    ).rejects.toThrow(/^JENKINS_PROD_USER and JENKINS_PROD_TOKEN are not set/);
    Object.assign(world.env, {
      JENKINS_PROD_USER: world.jenkins.user,
      JENKINS_PROD_TOKEN: world.jenkins.token,
    });
    await world.driver.deploy(
      world.context(
        { credentialsEnv: 'JENKINS_PROD' },
        { deployment: { id: 'd-p', correlationId: 'c-p' } },
      ),
    );
    expect(world.jenkins.called('POST', TRIGGER).map((c) => c.status)).toEqual([201, 201]);
  });

  it('retries what Jenkins answers 5xx, and never logs the token', async () => {
    world = await makeWorld();
    world.jenkins.inject({ method: 'POST', path: TRIGGER, status: 503, times: 1 });
    world.jenkins.inject({ method: 'GET', path: QUEUE, status: 502, times: 2 });
    const ctx = world.context();
    const { outcome } = await deployAndWatch(ctx);
    expect(outcome.ok).toBe(true);
    expect(world.jenkins.called('POST', TRIGGER).map((c) => c.status)).toEqual([503, 201]);
    expect(world.logs.join('\n')).toContain('jenkins call failed; retrying');
    expect(world.logs.join('\n')).not.toContain(world.jenkins.token);
    world.jenkins.verify();
  });
});
