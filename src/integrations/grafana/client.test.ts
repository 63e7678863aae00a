import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type GrafanaDouble, startGrafanaDouble } from '../../../test/support/grafana-double.js';
import { RetryableError } from '../../core/errors.js';
import { createGrafanaClient, GrafanaError } from './client.js';

let grafana: GrafanaDouble | null = null;
afterEach(async () => {
  await grafana?.close();
  grafana = null;
});

const T = Date.parse('2026-03-01T10:00:00.000Z');
const body = { time: T, tags: ['slipway'], text: 'Deploy' };

describe('the Grafana client', () => {
  it('creates, patches and finds annotations with a bearer token', async () => {
    grafana = await startGrafanaDouble({ token: 'glsa' });
    const client = createGrafanaClient({ url: `${grafana.url}/`, token: 'glsa' });
    const id = await client.create(body);
    expect(
      await client.patch(id, { timeEnd: T + 1_000, tags: ['slipway', 'outcome:failed'] }),
    ).toBe('patched');
    expect(await client.findByTags(['outcome:failed'])).toBe(id);
    expect(await client.findByTags(['outcome:succeeded'])).toBeNull();
    expect(await client.patch(99, { text: 'x' })).toBe('gone');
    expect(grafana.calls.every((c) => c.auth === 'bearer')).toBe(true);
  });

  it('says what to fix when Grafana refuses the token or the permission, without retrying', async () => {
    grafana = await startGrafanaDouble({ token: 'glsa', readOnlyTokens: ['viewer'] });
    const revoked = createGrafanaClient({ url: grafana.url, token: 'old' });
    const refused = await revoked.create(body).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(GrafanaError);
    expect((refused as Error).message).toMatch(
      /401 \(Unauthorized\): GRAFANA_TOKEN is not a valid token/,
    );
    const viewer = createGrafanaClient({ url: grafana.url, token: 'viewer' });
    await expect(viewer.create(body)).rejects.toThrow(/give it the Editor role/);
    await expect(
      createGrafanaClient({ url: grafana.url, token: 'glsa' }).create({ ...body, text: '' }),
    ).rejects.toThrow(/400 \(Failed to save annotation\)/);
  });

  it('makes 429, 5xx and an unreachable Grafana retryable, with Retry-After', async () => {
    grafana = await startGrafanaDouble({ token: 'glsa' });
    grafana.inject({ method: 'POST', status: 429, retryAfter: 7 });
    const client = createGrafanaClient({ url: grafana.url, token: 'glsa' });
    const limited = await client.create(body).catch((err: unknown) => err);
    expect(limited).toBeInstanceOf(RetryableError);
    expect((limited as RetryableError).retryAfterMs).toBe(7_000);
    grafana.inject({ method: 'PATCH', status: 502 });
    await expect(client.patch(1, { text: 'x' })).rejects.toBeInstanceOf(RetryableError);
    const gone = createGrafanaClient({ url: 'http://127.0.0.1:9', token: 'glsa' });
    await expect(gone.create(body)).rejects.toThrow(/cannot be reached/);
  });

  it('gives up on a Grafana that does not answer, and names an address that is not Grafana', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const slow = createGrafanaClient({ url, token: 'glsa', timeoutMs: 200 });
      const err = await slow.create(body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryableError);
      expect((err as Error).message).toMatch(/no answer within 200 ms/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    grafana = await startGrafanaDouble({ token: 'glsa' });
    const wrong = createGrafanaClient({ url: `${grafana.url}/not-grafana`, token: 'glsa' });
    await expect(wrong.create(body)).rejects.toThrow(/does not look like Grafana's address/);
  });
});
