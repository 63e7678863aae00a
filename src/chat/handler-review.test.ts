import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../test/support/engine-harness.js';
import type { Deployment } from '../core/deployment.js';
import { createLogger } from '../core/logger.js';
import { handleInbound } from './handler.js';
import { createRecordingChat, type RecordingChat } from './test-support/recording-chat.js';

const log = createLogger({ level: 'silent' });
let h: Harness | null = null;
let delivery = 0;

afterEach(async () => {
  await h?.close();
  h = null;
});

async function setup() {
  h = await startHarness({ ms: 150 });
  const harness = h;
  const chat = createRecordingChat();
  const deps = { engine: harness.app.engine, chat: chat.client, config: harness.app.config, log };
  /** A click in the clicker's direct message; Slack sent no response_url with it. */
  const click = (actionId: string, value: string, user: string) =>
    handleInbound(
      {
        kind: 'action',
        actionId,
        value,
        user,
        channel: `D-${user}`,
        messageTs: '1.1',
        responseUrl: null,
        deliveryId: `click-${++delivery}`,
      },
      deps,
    );
  return { h: harness, chat, click };
}

async function build(harness: Harness, environment: string, actor = 'U-DEV1'): Promise<Deployment> {
  const r = await harness.app.engine.request({
    actor,
    source: 'chat',
    channel: 'C-WEB',
    kind: 'deploy',
    service: 'web',
    environment,
    version: '1.4.2',
  });
  if (!r.ok) throw new Error(r.reason);
  return harness.waitFinal(r.deployment.id);
}

const privately = (chat: RecordingChat) =>
  chat.callsOf('postEphemeral').map((c) => [c.channel, c.user, c.view?.title ?? '']);
const publicly = (chat: RecordingChat) =>
  chat.callsOf('post').map((c) => [c.channel, c.view?.title ?? '']);

describe('handleInbound: review buttons', () => {
  it('answers a click by someone not allowed only to them, and records nothing', async () => {
    const { h, chat, click } = await setup();
    const d = await build(h, 'staging', 'U-QA1');
    await click('review_approve', d.id, 'U-QA1');
    await click('review_reject', d.id, 'U-DEV2');
    await click('promote', d.id, 'U-QA2');
    await click('close', d.id, 'U-DEV2');
    expect(privately(chat)).toEqual([
      ['D-U-QA1', 'U-QA1', expect.stringContaining('someone else from QA must review it')],
      ['D-U-DEV2', 'U-DEV2', expect.stringContaining('U-DEV2 may not review builds of web')],
      ['D-U-QA2', 'U-QA2', expect.stringContaining('U-QA2 may not promote builds of web')],
      ['D-U-DEV2', 'U-DEV2', expect.stringContaining('U-DEV2 may not close builds of web')],
    ]);
    expect(publicly(chat)).toEqual([]);
    expect(await h.app.store.listApprovals(d.id)).toEqual([]);
    expect(await h.app.store.getReviewDecision(d.id)).toBeNull();
  });

  it('promotes to production from a direct message as a request from the deploy channel, whose cards are the announcement', async () => {
    const { h, chat, click } = await setup();
    const d = await build(h, 'perf');
    await click('promote', d.id, 'U-DEV1');
    expect(privately(chat)).toEqual([
      [
        'D-U-DEV1',
        'U-DEV1',
        'QA has not approved 1.4.2 yet: web 1.4.2 goes to production once someone from its QA approves it on perf.',
      ],
    ]);
    await click('review_approve', d.id, 'U-QA1');
    await click('review_approve', d.id, 'U-QA1');
    expect(privately(chat)[1]).toEqual([
      'D-U-QA1',
      'U-QA1',
      'You already approved web 1.4.2 on perf; your verdict stands.',
    ]);
    await click('promote', d.id, 'U-DEV1');
    const title = '<@U-DEV1> promoted web 1.4.2 from perf to production';
    // The promoted deployment's cards (in #web and #deploys) are the public record; the
    // clicker gets the details.
    expect(publicly(chat)).toEqual([]);
    expect(privately(chat).at(-1)).toEqual(['D-U-DEV1', 'U-DEV1', title]);
    const [promoted] = await h.app.store.listDeployments({ environment: 'production' });
    expect(promoted).toMatchObject({ channel: 'C-DEPLOYS', requestedBy: 'U-DEV1' });
    expect(chat.callsOf('postEphemeral').at(-1)?.view?.body).toBe(
      'QA approval by <@U-QA1> counts toward production.',
    );
    expect((await h.waitFinal(promoted?.id ?? '')).state).toBe('succeeded');
  });

  it('offers the freeze override on a refused promotion only to those who may override it', async () => {
    const { h, chat, click } = await setup();
    const d = await build(h, 'perf');
    await click('review_approve', d.id, 'U-QA1');
    const production = h.app.config.environments.find((env) => env.name === 'production');
    production?.freeze.push({
      cron: '* * * * *',
      duration: '2m',
      timezone: 'UTC',
      reason: 'release freeze',
    });
    // The owner may promote, but only admins (U-SRE) may override production's freeze.
    await click('promote', d.id, 'U-DEV1');
    const refused = chat.callsOf('postEphemeral').at(-1)?.view;
    expect(refused?.title).toMatch(/^production is frozen until .* \(release freeze\)/);
    expect(refused?.actions).toBeUndefined();

    await click('promote', d.id, 'U-SRE');
    const offered = chat.callsOf('postEphemeral').at(-1)?.view;
    expect(offered?.actions).toEqual([
      expect.objectContaining({
        id: 'promote_override',
        label: 'Deploy during the freeze',
        value: d.id,
        confirm: expect.objectContaining({ title: 'Override the freeze?' }),
      }),
    ]);
    expect(await h.app.store.listDeployments({ environment: 'production' })).toEqual([]);

    // Clicked by someone it was not offered to, it is refused as any `deploy!` of theirs.
    await click('promote_override', d.id, 'U-DEV1');
    expect(chat.callsOf('postEphemeral').at(-1)?.view?.title).toMatch(
      /U-DEV1 may not override the freeze on production/,
    );
    await click('promote_override', d.id, 'U-SRE');
    const [promoted] = await h.app.store.listDeployments({ environment: 'production' });
    expect(promoted).toMatchObject({
      requestedBy: 'U-SRE',
      freezeOverride: true,
      version: '1.4.2',
    });
  });
});
