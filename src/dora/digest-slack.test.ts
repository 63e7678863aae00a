import { afterEach, describe, expect, it } from 'vitest';
import {
  eventually,
  type SlackHarness,
  startSlackHarness,
} from '../../test/support/slack-harness.js';
import { createSlackClient } from '../chat/slack/client.js';
import { Config } from '../config/schema.js';
import { createLogger } from '../core/logger.js';
import { createLocalSlack, type LocalSlack } from '../local-slack/index.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createDigestSchedule } from './digest-schedule.js';
import { weekOf } from './digest-week.js';
import { seed } from './test-support/story.js';

/**
 * The digest through Slack's Web API as the local Slack double speaks it: the Block Kit it
 * checks against Slack's limits, the message metadata that keys it, and the channel it lands in.
 */
let slack: LocalSlack | null = null;
let store: Store | null = null;
let harness: SlackHarness | null = null;
afterEach(async () => {
  await harness?.close();
  await slack?.stop();
  await store?.close();
  harness = null;
  slack = null;
  store = null;
});

const binding = { driver: 'command', options: { deploy: ['true'] } };

function text(blocks: unknown): string {
  return JSON.stringify(blocks);
}

describe('the DORA digest in Slack', () => {
  it('arrives in the configured channel, keyed by its week, with a button to the DORA page', async () => {
    slack = createLocalSlack({ channels: [{ id: 'C0DORA0001', name: 'dora' }] });
    const { apiUrl } = await slack.start();
    store = createStore(':memory:');
    await store.migrate();
    await seed(store);
    const config = Config.parse({
      environments: [
        { name: 'staging', order: 1 },
        { name: 'production', order: 2 },
      ],
      services: [
        { name: 'web', driver: binding },
        { name: 'api', driver: binding },
      ],
      dora: { digest: { channel: 'C0DORA0001', timezone: 'Europe/Berlin' } },
    });
    const schedule = createDigestSchedule({
      store,
      chat: createSlackClient({ token: slack.config.botToken, apiUrl }),
      config,
      digest: config.dora.digest as NonNullable<typeof config.dora.digest>,
      publicUrl: 'https://slipway.example.com',
      log: createLogger({ level: 'silent' }),
      // Tuesday of W13 in Berlin: W12's digest was due on Monday.
      now: () => new Date('2025-03-25T10:00:00Z'),
    });
    expect(await schedule.runDue()).toBe('posted');

    const [message, ...others] = slack.history('C0DORA0001');
    expect(others).toEqual([]);
    expect(message?.text).toBe('DORA metrics for 2025-W12');
    expect(message?.metadata).toEqual({
      event_type: 'slipway_message',
      event_payload: { subject: 'digest:2025-W12', purpose: 'dora-digest' },
    });
    const blocks = text(message?.blocks);
    // The week in Berlin: Monday 00:00 CET is Sunday 23:00 UTC.
    expect(blocks).toContain('Monday 17 March to Sunday 23 March 2025 (Europe/Berlin)');
    expect(blocks).toContain('*web* in production: 1 deploy (↑ 1 more than the week before)');
    expect(blocks).toContain('change failure rate 100% (1 of 1; no changes the week before)');
    expect(blocks).toContain('"url":"https://slipway.example.com/dora"');
    // Looking again posts nothing more.
    expect(await schedule.runDue()).toBe('posted-before');
    expect(slack.calls('chat.postMessage')).toHaveLength(1);
  });

  it('is posted by slipway serve on start when last week’s was not, with dora.digest configured', async () => {
    harness = await startSlackHarness({
      mode: 'http',
      // Due at Monday 00:00 UTC, the first moment of every week: due whenever the server starts.
      config: (input) => ({ ...input, dora: { digest: { channel: 'C-DEPLOYS', time: '00:00' } } }),
    });
    const lastWeek = weekOf(new Date(Date.now() - 7 * 86_400_000), 'UTC').week;
    const chat = harness.slack;
    const digest = await eventually(() =>
      chat.history('C-DEPLOYS').find((m) => m.text === `DORA metrics for ${lastWeek}`),
    );
    // The scenario's services in their production (protected), nothing deployed yet.
    expect(text(digest.blocks)).toContain(
      '*web* in production: 0 deploys (as many as the week before)',
    );
    expect(text(digest.blocks)).toContain('*api* in production');
  });
});
