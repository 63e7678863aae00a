import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuthKeys, createAuthKeys, createLocalTeams, type LocalTeams } from './index.js';
import { connectorClient } from './test-support/connector-client.js';

let keys: AuthKeys;
let teams: LocalTeams;
let call: ReturnType<typeof connectorClient>;
let now = 0;
const chat = () => teams.directory.groupChat('release')?.id ?? '';
const say = (text: string, conversation = chat()) =>
  call('POST', `/v3/conversations/${conversation}/activities`, { type: 'message', text });

beforeAll(async () => {
  keys = await createAuthKeys();
});
beforeEach(async () => {
  now = 0;
  teams = await createLocalTeams({
    keys,
    appId: 'app-under-test',
    groupChats: [
      { key: 'release', members: ['alice', 'bob'], botInstalled: true },
      { key: 'oncall', members: ['alice', 'carol'], botInstalled: true },
    ],
    monotonic: () => now,
  });
  call = connectorClient(teams);
});
afterEach(() => teams.close());

describe('injected faults', () => {
  it('answers 429 with Retry-After and Teams’ error, and posts nothing', async () => {
    teams.faults.next('sendToConversation', { status: 429, retryAfterSec: 3 });
    const r = await say('first try');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3');
    expect(r.body).toEqual({ error: { code: 'Throttled', message: 'Too many requests.' } });
    expect(teams.conversation('release')?.activities).toEqual([]);
    expect((await say('second try')).status).toBe(201);
    expect(teams.botMessages('release').map((a) => a.current.text)).toEqual(['second try']);
  });

  it('fails the next N calls of any operation with a 5xx, then lets them through', async () => {
    await say('warm up the token');
    teams.faults.next('*', { status: 503, times: 2 });
    const statuses = [];
    for (const text of ['a', 'b', 'c']) statuses.push((await say(text)).status);
    expect(statuses).toEqual([503, 503, 201]);
    expect(teams.faults.injected()).toEqual({ sendToConversation: 2 });
  });

  it('targets a method and path, leaving other calls alone', async () => {
    teams.faults.next('PUT /v3/conversations/*/activities/*', { status: 502, times: 1 });
    const sent = await say('v1');
    expect(sent.status).toBe(201);
    const put = () =>
      call('PUT', `/v3/conversations/${chat()}/activities/${sent.body.id}`, {
        type: 'message',
        text: 'v2',
      });
    const failed = await put();
    expect([failed.status, failed.body.error.code]).toEqual([502, 'ServiceError']);
    expect((await put()).status).toBe(200);
    expect(teams.activity(sent.body.id)?.versions.map((v) => v.text)).toEqual(['v1', 'v2']);
  });

  it('fails the token endpoint too', async () => {
    teams.faults.next('getToken', { status: 500 });
    await expect(teams.requestToken()).rejects.toThrow(/500/);
    await expect(teams.requestToken()).resolves.toMatch(/^ey/);
  });

  it('answers too late for a client that gave up, and records that nothing was posted', async () => {
    await say('warm up the token');
    teams.faults.delay('sendToConversation', 400);
    const token = await teams.requestToken();
    const late = fetch(`${teams.serviceUrl}v3/conversations/${chat()}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'late' }),
      signal: AbortSignal.timeout(100),
    });
    await expect(late).rejects.toThrow();
    const gone = await teams.waitFor(() =>
      teams.calls('sendToConversation').find((c) => c.errorCode === 'client_gone'),
    );
    expect(gone.status).toBe(0);
    expect(teams.botMessages('release').map((a) => a.current.text)).toEqual(['warm up the token']);
  });
});

describe("Teams' per-thread rate limit", () => {
  it('allows 7 messages a second in a thread, then answers 429 until the window moves', async () => {
    for (let i = 1; i <= 7; i++) expect((await say(`m${i}`)).status).toBe(201);
    const eighth = await say('m8');
    expect([eighth.status, eighth.headers.get('retry-after')]).toEqual([429, '1']);
    expect((await say('elsewhere', teams.directory.groupChat('oncall')?.id)).status).toBe(201);
    now = 1_001;
    expect((await say('m8 again')).status).toBe(201);
    // Eight in two seconds is the next window's limit.
    const ninth = await say('m9');
    expect([ninth.status, ninth.body.error.code]).toEqual([429, 'Throttled']);
    now = 2_001;
    expect((await say('m9 again')).status).toBe(201);
  });

  it('counts updates against the same thread', async () => {
    const sent = await say('card');
    for (let i = 0; i < 6; i++) {
      const r = await call('PUT', `/v3/conversations/${chat()}/activities/${sent.body.id}`, {
        type: 'message',
        text: `v${i}`,
      });
      expect(r.status).toBe(200);
    }
    const r = await call('PUT', `/v3/conversations/${chat()}/activities/${sent.body.id}`, {
      type: 'message',
      text: 'one too many',
    });
    expect(r.status).toBe(429);
  });

  it('can be turned off', async () => {
    await teams.close();
    teams = await createLocalTeams({
      keys,
      appId: 'app-under-test',
      groupChats: [{ key: 'release', members: ['alice', 'bob'], botInstalled: true }],
      rateLimits: false,
      monotonic: () => now,
    });
    call = connectorClient(teams);
    for (let i = 0; i < 20; i++) expect((await say(`m${i}`)).status).toBe(201);
  });
});
