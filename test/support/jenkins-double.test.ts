import { afterEach, describe, expect, it } from 'vitest';
import { type JenkinsDouble, startJenkinsDouble } from './jenkins-double.js';

/** The double answers as Jenkins does, so a driver that passes against it is right about Jenkins. */
let jenkins: JenkinsDouble;
afterEach(() => jenkins?.close());

const JOB = {
  name: 'team/deploy',
  parameters: [{ name: 'VERSION' }, { name: 'REGION', default: 'eu' }],
};

function call(
  method: string,
  path: string,
  options: { auth?: string | null; body?: string; headers?: Record<string, string> } = {},
) {
  const auth = options.auth === undefined ? `${jenkins.user}:${jenkins.token}` : options.auth;
  return fetch(`${jenkins.url}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}),
      ...(options.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...options.headers,
    },
    ...(options.body ? { body: options.body } : {}),
  });
}

async function queued(body = 'VERSION=1') {
  const answer = await call('POST', '/job/team/job/deploy/buildWithParameters', { body });
  return {
    status: answer.status,
    id: Number(/queue\/item\/(\d+)\/$/.exec(answer.headers.get('location') ?? '')?.[1]),
  };
}

describe('Jenkins double', () => {
  it('refuses requests without credentials, with a wrong token, and what the endpoint refuses', async () => {
    jenkins = await startJenkinsDouble({ jobs: [JOB, { name: 'plain', parameters: null }] });
    const anonymous = await call('GET', '/job/team/job/deploy/api/json', { auth: null });
    expect([anonymous.status, anonymous.headers.get('x-you-are-authenticated-as')]).toEqual([
      403,
      'anonymous',
    ]);
    const wrong = await call('GET', '/job/team/job/deploy/api/json', {
      auth: `${jenkins.user}:nope`,
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain(
      '<title>Error 401 Invalid password/token for user: slipway</title>',
    );
    expect((await call('GET', '/job/team/job/deploy/buildWithParameters')).status).toBe(405);
    expect(
      (await call('POST', '/job/team/job/nope/buildWithParameters', { body: 'VERSION=1' })).status,
    ).toBe(404);
    expect((await call('POST', '/job/plain/buildWithParameters', { body: 'V=1' })).status).toBe(
      400,
    );
    expect((await call('GET', '/job/team/job/deploy/api/json?tree=builds[number')).status).toBe(
      400,
    );
  });

  it('needs a crumb from a live session on every POST when required, none for API tokens otherwise', async () => {
    jenkins = await startJenkinsDouble({ jobs: [JOB], crumb: 'required' });
    expect((await queued()).status).toBe(403);
    const issuer = await call('GET', '/crumbIssuer/api/json');
    const { crumb, crumbRequestField } = (await issuer.json()) as {
      crumb: string;
      crumbRequestField: string;
    };
    const cookie = (issuer.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(crumbRequestField).toBe('Jenkins-Crumb');
    const post = (headers: Record<string, string>) =>
      call('POST', '/job/team/job/deploy/buildWithParameters', { body: 'VERSION=2', headers });
    expect((await post({ 'Jenkins-Crumb': crumb })).status).toBe(403);
    expect((await post({ 'Jenkins-Crumb': crumb, cookie })).status).toBe(201);
    jenkins.expireSessions();
    expect((await post({ 'Jenkins-Crumb': crumb, cookie })).status).toBe(403);
    jenkins.setCrumb('api-token-exempt');
    expect((await queued('VERSION=3')).status).toBe(201);
    jenkins.setCrumb('off');
    expect((await call('GET', '/crumbIssuer/api/json')).status).toBe(404);
  });

  it('queues, dedups identical requests, starts after reads, cancels and forgets as Jenkins does', async () => {
    jenkins = await startJenkinsDouble({ jobs: [JOB] });
    jenkins.planNext(
      { queuePolls: 1, hangs: true, lines: ['one'] },
      { queuePolls: Number.POSITIVE_INFINITY },
    );
    const first = await queued();
    expect(first.status).toBe(201);
    expect(await queued()).toEqual({ status: 303, id: first.id });
    const waiting = await (await call('GET', `/queue/item/${first.id}/api/json`)).json();
    expect(waiting).toMatchObject({
      _class: 'hudson.model.Queue$BuildableItem',
      why: 'Waiting for next available executor',
      params: '\nVERSION=1\nREGION=eu',
    });
    const left = await (await call('GET', `/queue/item/${first.id}/api/json`)).json();
    expect(left).toMatchObject({
      _class: 'hudson.model.Queue$LeftItem',
      cancelled: false,
      executable: { number: 1 },
    });
    expect((await call('POST', `/queue/cancelItem?id=${first.id}`)).status).toBe(500);

    const second = await queued('VERSION=9');
    expect((await call('POST', `/queue/cancelItem?id=${second.id}`)).status).toBe(204);
    expect(await (await call('GET', `/queue/item/${second.id}/api/json`)).json()).toMatchObject({
      cancelled: true,
      executable: null,
    });
    jenkins.forgetLeftItems();
    expect((await call('GET', `/queue/item/${second.id}/api/json`)).status).toBe(404);
    expect((await call('POST', `/queue/cancelItem?id=${second.id}`)).status).toBe(404);

    const list = await (
      await call(
        'GET',
        '/job/team/job/deploy/api/json?tree=builds[number,queueId,actions[parameters[name,value]]]{0,1}',
      )
    ).json();
    expect(list).toEqual({
      _class: 'hudson.model.FreeStyleProject',
      builds: [
        {
          _class: 'hudson.model.FreeStyleBuild',
          number: 1,
          queueId: first.id,
          actions: [
            {
              _class: 'hudson.model.ParametersAction',
              parameters: [
                { _class: 'hudson.model.StringParameterValue', name: 'VERSION', value: '1' },
                { _class: 'hudson.model.StringParameterValue', name: 'REGION', value: 'eu' },
              ],
            },
            { _class: 'hudson.model.CauseAction' },
            {},
          ],
        },
      ],
    });
    const stop = await call('POST', '/job/team/job/deploy/1/stop');
    expect([stop.status, stop.headers.get('location')]).toEqual([
      302,
      `${jenkins.url}/job/team/job/deploy/1/`,
    ]);
    const build = await (
      await call('GET', '/job/team/job/deploy/1/api/json?tree=result,building')
    ).json();
    expect(build).toEqual({
      _class: 'hudson.model.FreeStyleBuild',
      building: false,
      result: 'ABORTED',
    });
  });

  it('serves the console progressively: whole lines while running, all of it at the end', async () => {
    jenkins = await startJenkinsDouble({ jobs: [JOB], maxLinesPerRead: 2 });
    jenkins.planNext({ queuePolls: 0, lines: ['a', 'b'], lineMs: 30 });
    const { id } = await queued();
    await call('GET', `/queue/item/${id}/api/json`);
    const read = async (start: number) => {
      const answer = await call(
        'GET',
        `/job/team/job/deploy/1/logText/progressiveText?start=${start}`,
      );
      return {
        text: await answer.text(),
        size: Number(answer.headers.get('x-text-size')),
        more: answer.headers.get('x-more-data'),
      };
    };
    const first = await read(0);
    expect(first).toEqual({
      text: 'Started by user slipway\nRunning as SYSTEM\n',
      size: 42,
      more: 'true',
    });
    await new Promise((r) => setTimeout(r, 200));
    const rest = await read(first.size);
    expect(rest.more).toBeNull();
    expect(rest.text).toMatch(/^Building in workspace .*\na\nb\nFinished: SUCCESS\n$/);
    // Asked past the end, Jenkins starts again from the beginning.
    expect((await read(rest.size + 100)).text.startsWith('Started by user slipway\n')).toBe(true);
  });
});
