import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Deployment } from '../core/deployment.js';
import type { PeopleSource } from '../core/people.js';
import { newDeployment } from '../store/test-support/fixtures.js';
import { apiActionRoutes } from './api-actions.js';
import { withPeople } from './api-people.js';

const known: PeopleSource = {
  async findPeople(ids) {
    const names: Record<string, string> = { U0API0001: 'Ana Lima' };
    return new Map(ids.flatMap((id) => (names[id] ? [[id, { name: names[id] }] as const] : [])));
  },
};

describe('API answers that name people', () => {
  it('adds people and names them in sentences only, leaving dates and person fields', async () => {
    const at = new Date('2025-03-01T10:00:00.000Z');
    const body = {
      deployment: { requestedBy: 'U0API0001', outcome: 'cancelled by U0API0001', createdAt: at },
      transitions: [{ actor: 'U0API0001', reason: 'approved by U0API0001, U0WEB0001', at }],
      approvals: [{ approver: 'U0API0001', comment: 'U0API0001 checked it' }],
    };
    expect(await withPeople(known, body)).toEqual({
      deployment: { requestedBy: 'U0API0001', outcome: 'cancelled by Ana Lima', createdAt: at },
      transitions: [{ actor: 'U0API0001', reason: 'approved by Ana Lima, U0WEB0001', at }],
      approvals: [{ approver: 'U0API0001', comment: 'U0API0001 checked it' }],
      people: { U0API0001: 'Ana Lima' },
    });
  });

  it('answers with ids and an empty people when the names cannot be read', async () => {
    const failing = { findPeople: () => Promise.reject(new Error('database is locked')) };
    const body = { message: 'locked by U0API0001' };
    expect(await withPeople(failing, body)).toEqual({ ...body, people: {} });
  });

  it('names people in the message of a refused action', async () => {
    const refusal = {
      ok: false as const,
      code: 'not_allowed',
      reason: 'Only U0API0001, who requested it, or an admin may cancel it.',
    };
    const done = { ok: true as const, deployment: newDeployment({ requestedBy: 'U0API0001' }) };
    const answers = [refusal, done];
    const routes = apiActionRoutes({
      engine: {
        cancel: async () => answers.shift() as never,
        retry: async () => ({ ok: false, code: 'busy', reason: '' }) as never,
      },
      operator: 'operator',
      apiToken: 'token',
      people: known,
    });
    const cancel = routes.find((r) => r.path.endsWith('/cancel'));
    const server = createServer((req, res) => {
      void cancel?.handler(req, res, { id: 'd-1' }, new URL(req.url ?? '/', 'http://x'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const refused = await fetch(url, { method: 'POST' });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({
        error: 'not_allowed',
        message: 'Only Ana Lima, who requested it, or an admin may cancel it.',
        people: { U0API0001: 'Ana Lima' },
      });
      const cancelled = (await (await fetch(url, { method: 'POST' })).json()) as {
        deployment: Deployment;
        people: Record<string, string>;
      };
      expect(cancelled.deployment.requestedBy).toBe('U0API0001');
      expect(cancelled.people).toEqual({ U0API0001: 'Ana Lima' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
