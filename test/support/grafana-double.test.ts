import { afterEach, describe, expect, it } from 'vitest';
import { type GrafanaDouble, startGrafanaDouble } from './grafana-double.js';

let grafana: GrafanaDouble | null = null;
afterEach(async () => {
  await grafana?.close();
  grafana = null;
});

async function call(method: string, path: string, body?: unknown, token: string | null = 'glsa') {
  if (!grafana) throw new Error('no double');
  const res = await fetch(`${grafana.url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const T = Date.parse('2026-03-01T10:00:00.000Z');

describe('the Grafana double', () => {
  it('refuses a request without the token, or with another, and a viewer writing', async () => {
    grafana = await startGrafanaDouble({ token: 'glsa', readOnlyTokens: ['viewer'] });
    const body = { time: T, text: 'x', tags: [] };
    expect(await call('POST', '/api/annotations', body, null)).toEqual({
      status: 401,
      json: { message: 'Unauthorized' },
    });
    expect((await call('POST', '/api/annotations', body, 'other')).status).toBe(401);
    const viewer = await call('POST', '/api/annotations', body, 'viewer');
    expect(viewer.status).toBe(403);
    expect(viewer.json.message).toMatch(/annotations:create/);
    expect((await call('GET', '/api/annotations', undefined, 'viewer')).status).toBe(200);
    expect(grafana.annotations()).toEqual([]);
  });

  it('answers 400 to a body that is not JSON, has a wrong type, no text or no time in ms', async () => {
    grafana = await startGrafanaDouble({ token: 'glsa' });
    expect(await call('POST', '/api/annotations', '{"time":')).toEqual({
      status: 400,
      json: { message: 'bad request data' },
    });
    expect(
      (await call('POST', '/api/annotations', { time: T, text: 'x', tags: 'a b' })).status,
    ).toBe(400);
    expect((await call('POST', '/api/annotations', { time: String(T), text: 'x' })).status).toBe(
      400,
    );
    expect(await call('POST', '/api/annotations', { time: T, text: '' })).toEqual({
      status: 400,
      json: { message: 'Failed to save annotation' },
    });
    expect((await call('POST', '/api/annotations', { time: T / 1000, text: 'x' })).status).toBe(
      400,
    );
    expect(grafana.annotations()).toEqual([]);
  });

  it('creates, patches (tags whole, time range kept in order), finds by every tag and 404s an unknown id', async () => {
    grafana = await startGrafanaDouble({ token: 'glsa', dashboards: ['web'] });
    const created = await call('POST', '/api/annotations', {
      time: T,
      tags: ['slipway', 'service:web'],
      text: 'Deploy',
      dashboardUID: 'web',
      panelId: 2,
    });
    expect(created).toEqual({ status: 200, json: { message: 'Annotation added', id: 1 } });
    // An unknown dashboard is ignored: the annotation belongs to the organization.
    await call('POST', '/api/annotations', { time: T, text: 'other', dashboardUID: 'nope' });
    expect(grafana.annotations()).toEqual([
      {
        id: 1,
        time: T,
        timeEnd: T,
        tags: ['slipway', 'service:web'],
        text: 'Deploy',
        dashboardUID: 'web',
        panelId: 2,
      },
      expect.objectContaining({ id: 2, dashboardUID: null, panelId: 0 }),
    ]);
    expect(
      await call('PATCH', '/api/annotations/1', {
        timeEnd: T + 60_000,
        tags: ['slipway', 'outcome:succeeded'],
      }),
    ).toEqual({ status: 200, json: { message: 'Annotation patched' } });
    expect(grafana.annotations()[0]).toMatchObject({
      time: T,
      timeEnd: T + 60_000,
      tags: ['slipway', 'outcome:succeeded'],
      text: 'Deploy',
    });
    const found = await fetch(
      `${grafana.url}/api/annotations?tags=slipway&tags=outcome:succeeded`,
      {
        headers: { authorization: 'Bearer glsa' },
      },
    );
    expect(((await found.json()) as { id: number }[]).map((a) => a.id)).toEqual([1]);
    expect(await call('PATCH', '/api/annotations/99', { text: 'x' })).toEqual({
      status: 404,
      json: { message: 'Annotation not found' },
    });
    expect((await call('PATCH', '/api/annotations/abc', { text: 'x' })).status).toBe(400);
  });

  it('injects faults, optionally after doing the work, and checks the calls it expected', async () => {
    grafana = await startGrafanaDouble({ token: 'glsa' });
    grafana.inject({ method: 'POST', status: 503, retryAfter: 2 });
    grafana.inject({ method: 'POST', status: 500, processed: true });
    const first = await fetch(`${grafana.url}/api/annotations`, {
      method: 'POST',
      headers: { authorization: 'Bearer glsa' },
      body: JSON.stringify({ time: T, text: 'x' }),
    });
    expect([first.status, first.headers.get('retry-after')]).toEqual([503, '2']);
    expect(grafana.annotations()).toEqual([]);
    expect((await call('POST', '/api/annotations', { time: T, text: 'x' })).status).toBe(500);
    expect(grafana.annotations()).toHaveLength(1);
    expect(grafana.unusedFaults()).toEqual([]);
    grafana.expect({ method: 'POST', path: /^\/api\/annotations$/, times: 3 });
    expect(() => grafana?.verify()).toThrow(/expected 3 call\(s\), got 2/);
    await call('POST', '/api/annotations', { time: T, text: 'y' });
    grafana.verify();
    await call('GET', '/api/annotations/1');
    expect(() => grafana?.verify()).toThrow(/unexpected GET \/api\/annotations\/1/);
  });
});
