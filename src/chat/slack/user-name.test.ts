import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../core/errors.js';
import { createLocalSlack, type LocalSlack } from '../../local-slack/index.js';
import { createSlackClient } from './client.js';

/** Names through users.info, against the local Slack and the failures it injects. */
let slack: LocalSlack;

beforeEach(async () => {
  slack = createLocalSlack({
    users: [
      { id: 'U0API0001', name: 'Ana Lima', realName: 'Ana Beatriz Lima' },
      { id: 'U0WEB0001', name: 'ben', realName: 'Ben Okafor' },
    ],
  });
  await slack.start();
});
afterEach(() => slack.stop());

function client() {
  return createSlackClient({
    token: slack.config.botToken,
    apiUrl: slack.apiUrl,
    retryConfig: { retries: 2, factor: 1, minTimeout: 20, maxTimeout: 20, randomize: false },
  });
}

describe('the Slack client naming people', () => {
  it('answers the name Slack shows (the display name) and null for a user Slack does not know', async () => {
    const chat = client();
    expect(await chat.userName?.('U0API0001')).toBe('Ana Lima');
    expect(await chat.userName?.('U0NOBODY1')).toBeNull();
    expect(slack.calls('users.info').map((c) => c.error ?? 'ok')).toEqual(['ok', 'user_not_found']);
  });

  it('tries again after a 5xx, as for every call', async () => {
    slack.faults.next('users.info', { status: 503 });
    expect(await client().userName?.('U0WEB0001')).toBe('ben');
    expect(slack.calls('users.info')).toHaveLength(2);
  });

  it('passes other refusals on as coded errors', async () => {
    const limited = createLocalSlack({
      users: [{ id: 'U0API0001', name: 'Ana' }],
      scopes: ['chat:write'],
    });
    await limited.start();
    try {
      const chat = createSlackClient({ token: limited.config.botToken, apiUrl: limited.apiUrl });
      await expect(chat.userName?.('U0API0001')).rejects.toThrow(ForbiddenError);
      await expect(chat.userName?.('U0API0001')).rejects.toThrow(/missing_scope/);
    } finally {
      await limited.stop();
    }
  });
});
