import { afterEach, describe, expect, it } from 'vitest';
import { JenkinsHandle } from './index.js';
import { DEPLOY_JOB, makeWorld, ROLLBACK_JOB, until, type World } from './test-support/world.js';

let world: World;
afterEach(() => world?.close());

const TRIGGER = /\/buildWithParameters$/;
const QUEUE = /^\/queue\/item\/\d+\/api\/json$/;
const CANCEL_ITEM = /^\/queue\/cancelItem$/;
const STOP = /^\/job\/platform\/job\/deploy-web\/\d+\/stop$/;
const JOB = /^\/job\/platform\/job\/deploy-web\/api\/json$/;

const buildUrl = (n: number) => `${world.jenkins.url}/job/platform/job/deploy-web/${n}/`;

describe('jenkins watch and cancel', () => {
  it('ends without a change when the queue item is cancelled before it becomes a build', async () => {
    world = await makeWorld();
    world.jenkins.planNext({
      queuePolls: Number.POSITIVE_INFINITY,
      why: 'Waiting for next available executor',
    });
    world.jenkins.expectCall({ method: 'POST', path: CANCEL_ITEM, status: 204, times: 1 });
    world.jenkins.expectCall({ method: 'POST', path: STOP, times: 0 });
    const ctx = world.context();
    const handle = JenkinsHandle.parse(await world.driver.deploy(ctx));
    const watching = world.driver.watch(ctx, handle);
    await until(() =>
      ctx.reported.includes('queued in Jenkins: Waiting for next available executor'),
    );

    await world.driver.cancel?.(world.context(), handle);
    expect(world.jenkins.called('POST', CANCEL_ITEM)[0]?.query).toEqual({
      id: String(handle.queueItem),
    });
    expect(await watching).toEqual({
      ok: false,
      changed: false,
      reason: `Jenkins queue item ${handle.queueItem} of platform/deploy-web was cancelled before it started a build (it was waiting: Waiting for next available executor)`,
    });
    expect(world.jenkins.builds(DEPLOY_JOB.name)).toEqual([]);
    // Nothing was built, so there is no console to show.
    expect(await world.driver.logs?.(ctx, handle)).toBeNull();
    world.jenkins.verify();
  });

  it('sees a queue item cancelled by someone in Jenkins', async () => {
    world = await makeWorld();
    world.jenkins.planNext({
      queuePolls: Number.POSITIVE_INFINITY,
      why: 'Build #4 is already in progress',
    });
    const ctx = world.context();
    const handle = JenkinsHandle.parse(await world.driver.deploy(ctx));
    const watching = world.driver.watch(ctx, handle);
    await until(() => ctx.reported.length > 0);
    const auth = Buffer.from(`${world.jenkins.user}:${world.jenkins.token}`).toString('base64');
    const answer = await fetch(`${world.jenkins.url}/queue/cancelItem?id=${handle.queueItem}`, {
      method: 'POST',
      headers: { authorization: `Basic ${auth}` },
    });
    expect(answer.status).toBe(204);
    const outcome = await watching;
    expect(outcome).toMatchObject({ ok: false, changed: false });
    expect(!outcome.ok && outcome.reason).toMatch(
      /was cancelled before it started a build \(it was waiting: Build #4 is already in progress\)$/,
    );
  });

  it('stops a running build on cancel, which then ends ABORTED', async () => {
    world = await makeWorld();
    world.jenkins.planNext({ lines: ['+ helm upgrade web ./chart --wait'], hangs: true });
    world.jenkins.expectCall({ method: 'POST', path: STOP, times: 1 });
    world.jenkins.expectCall({ method: 'POST', path: CANCEL_ITEM, times: 0 });
    const ctx = world.context();
    const handle = await world.driver.deploy(ctx);
    const watching = world.driver.watch(ctx, handle);
    await until(() => ctx.reported.some((t) => t.includes('helm upgrade')));

    await world.driver.cancel?.(world.context(), handle);
    expect(world.jenkins.called('POST', STOP)[0]?.status).toBe(302);
    const outcome = await watching;
    expect(outcome).toMatchObject({ ok: false, changed: true });
    expect(!outcome.ok && outcome.reason).toMatch(
      new RegExp(
        `^Jenkins build #1 of platform/deploy-web was aborted in \\d+(ms|s): Aborted by slipway \\(${buildUrl(1)}\\)$`,
      ),
    );
    expect(world.jenkins.builds(DEPLOY_JOB.name)[0]?.result).toBe('ABORTED');
    world.jenkins.verify();
  });

  it('is finished by a new process from the stored handle, after a restart mid-build', async () => {
    world = await makeWorld();
    world.jenkins.planNext({
      lines: ['step 1', 'step 2', 'step 3', 'step 4', 'done'],
      lineMs: 100,
    });
    const died = new AbortController();
    const first = world.context({}, { signal: died.signal });
    const stored = JSON.parse(JSON.stringify(await world.driver.deploy(first)));
    const watching = world.driver.watch(first, stored);
    await until(() => first.reported.some((t) => t.startsWith('build #1 running')));
    died.abort(new Error('process killed'));
    await expect(watching).rejects.toThrow('process killed');
    expect(world.jenkins.builds(DEPLOY_JOB.name)[0]?.building).toBe(true);

    const later = world.context();
    const outcome = await world.restart().watch(later, stored);
    expect(outcome).toMatchObject({
      ok: true,
      link: { label: 'Jenkins build #1', url: buildUrl(1) },
    });
    expect(world.jenkins.called('POST', TRIGGER)).toHaveLength(1);
    // The new process read the console from its start, so the last line is the build's own.
    expect(later.reported.at(-1)).toMatch(/^build #1 running(, \d+s)?: (step \d|done)$/);
  });

  it('finds the build by its queue id once Jenkins has forgotten the queue item', async () => {
    world = await makeWorld();
    world.jenkins.planNext({ lines: ['a', 'b', 'c'], lineMs: 150 });
    const died = new AbortController();
    const first = world.context({}, { signal: died.signal });
    const stored = JSON.parse(JSON.stringify(await world.driver.deploy(first)));
    const watching = world.driver.watch(first, stored);
    await until(() => first.reported.some((t) => t.startsWith('build #1 running')));
    died.abort(new Error('process killed'));
    await watching.catch(() => undefined);
    // More than five minutes later, as far as Jenkins' queue is concerned.
    world.jenkins.forgetLeftItems();
    world.jenkins.expectCall({ method: 'GET', path: QUEUE, status: 404, times: 1 });
    world.jenkins.expectCall({ method: 'GET', path: JOB, status: 200 });

    const outcome = await world.restart().watch(world.context(), stored);
    expect(outcome).toMatchObject({ ok: true, link: { url: buildUrl(1) } });
    const list = world.jenkins.called('GET', JOB).at(-1);
    expect(list?.query.tree).toBe(
      'builds[number,url,queueId,timestamp,actions[parameters[name,value]]]{0,50}',
    );
    world.jenkins.verify();
  });

  it('says the queue item is gone when Jenkins forgot it and no build came from it', async () => {
    world = await makeWorld();
    world.jenkins.planNext({ queuePolls: Number.POSITIVE_INFINITY });
    const ctx = world.context();
    const handle = JenkinsHandle.parse(await world.driver.deploy(ctx));
    await world.driver.cancel?.(ctx, handle);
    world.jenkins.forgetLeftItems();
    const outcome = await world.restart().watch(ctx, handle);
    expect(outcome).toEqual({
      ok: false,
      changed: false,
      reason: `Jenkins forgot queue item ${handle.queueItem} of platform/deploy-web, and none of the job's recent builds came from it: it was cancelled, or Jenkins restarted before it started; look at the job's history before deploying again`,
    });
  });

  it('stops a build still running at the timeout', async () => {
    world = await makeWorld();
    world.jenkins.planNext({ lines: ['+ terraform apply'], hangs: true });
    world.jenkins.expectCall({ method: 'POST', path: STOP, times: 1 });
    const ctx = world.context({ timeout: '1s' });
    const handle = await world.driver.deploy(ctx);
    const outcome = await world.driver.watch(ctx, handle);
    expect(outcome).toMatchObject({ ok: false, changed: true });
    expect(!outcome.ok && outcome.reason).toMatch(
      new RegExp(
        `^Jenkins build #1 of platform/deploy-web did not finish within 1s, last seen build #1 running(, 1s)?: \\+ terraform apply; Slipway stopped it \\(${buildUrl(1)}\\)$`,
      ),
    );
    expect(world.jenkins.builds(DEPLOY_JOB.name)[0]?.result).toBe('ABORTED');
    world.jenkins.verify();
  });

  it('cancels a queue item still waiting at the timeout', async () => {
    world = await makeWorld();
    world.jenkins.planNext({
      queuePolls: Number.POSITIVE_INFINITY,
      why: 'All nodes of label ‘deploy’ are offline',
    });
    world.jenkins.expectCall({ method: 'POST', path: CANCEL_ITEM, status: 204, times: 1 });
    const ctx = world.context({ timeout: '500ms' });
    const outcome = await world.driver.watch(ctx, await world.driver.deploy(ctx));
    expect(outcome).toEqual({
      ok: false,
      changed: false,
      reason:
        "platform/deploy-web waited in Jenkins' queue longer than 500ms (All nodes of label ‘deploy’ are offline); Slipway cancelled its queue item",
    });
    world.jenkins.verify();
  });

  it('waits through Jenkins being unavailable while it follows a build', async () => {
    world = await makeWorld();
    world.jenkins.planNext({ lines: ['x', 'y', 'z'], lineMs: 40 });
    world.jenkins.inject({ method: 'GET', path: /\/\d+\/api\/json$/, status: 503, times: 4 });
    const ctx = world.context();
    const outcome = await world.driver.watch(ctx, await world.driver.deploy(ctx));
    expect(outcome.ok).toBe(true);
    expect(
      ctx.reported.some((t) => t.startsWith('waiting for Jenkins: Jenkins answered 503')),
    ).toBe(true);
    world.jenkins.verify();
  });
});

describe('jenkins rollback', () => {
  it('builds the rollback job with the older version', async () => {
    world = await makeWorld();
    const ctx = world.context({ rollbackJob: ROLLBACK_JOB.name });
    const handle = JenkinsHandle.parse(await world.driver.rollback?.(ctx, '1.2.2'));
    expect(handle).toMatchObject({ phase: 'rollback', job: 'platform/rollback-web' });
    expect(await world.driver.watch(ctx, handle)).toMatchObject({
      ok: true,
      link: { label: 'Jenkins build #1' },
    });
    expect(world.jenkins.builds(ROLLBACK_JOB.name)[0]?.parameters).toMatchObject({
      VERSION: '1.2.2',
    });
    expect(world.driver.capabilities?.(ctx.options)).toEqual({
      status: false,
      rollbackToPrevious: true,
    });
  });

  it('needs a version without a rollback job, and never takes the deploy build for its own', async () => {
    world = await makeWorld();
    const ctx = world.context();
    expect(world.driver.capabilities?.(ctx.options).rollbackToPrevious).toBe(false);
    await expect(world.driver.rollback?.(ctx, null)).rejects.toThrow(
      /cannot roll back web in staging without a version: Slipway builds platform\/deploy-web again/,
    );
    const deployed = JenkinsHandle.parse(await world.driver.deploy(ctx));
    await world.driver.watch(ctx, deployed);
    // Back to the very version the deploy built: the same parameters, yet a build of its own.
    const later = world.context({}, { deployment: { driverRef: { deploy: deployed } } });
    const back = JenkinsHandle.parse(await world.driver.rollback?.(later, '1.2.3'));
    expect(back.build).toBeUndefined();
    expect(await world.driver.watch(later, back)).toMatchObject({
      ok: true,
      link: { label: 'Jenkins build #2' },
    });
    expect(world.jenkins.builds(DEPLOY_JOB.name).map((b) => b.parameters.VERSION)).toEqual([
      '1.2.3',
      '1.2.3',
    ]);
  });
});
