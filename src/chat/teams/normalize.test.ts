import { describe, expect, it } from 'vitest';
import { commandText, normalizeTeams } from './normalize.js';
import { Activity } from './schema.js';

const BOT = { id: '28:bot', name: 'Slipway' };
const base = {
  type: 'message',
  id: '5',
  from: { id: '29:alice', aadObjectId: 'aad-alice' },
  recipient: BOT,
  serviceUrl: 'https://smba.trafficmanager.net/teams/',
};

describe('command text as the grammar reads it', () => {
  it('drops the bot’s mention, keeps other people’s names, and escapes like Slack', () => {
    const activity = Activity.parse({
      ...base,
      text: '<at>Slipway</at> lock prod -- &lt;at&gt; &amp; <at>Bob</at> asked&nbsp;so',
      entities: [
        { type: 'mention', text: '<at>Slipway</at>', mentioned: BOT },
        { type: 'mention', text: '<at>Bob</at>', mentioned: { id: '29:bob', name: 'Bob' } },
      ],
    });
    expect(commandText(activity)).toBe('lock prod -- &lt;at&gt; &amp; Bob asked so');
  });

  it('drops other markup Teams may send', () => {
    const activity = Activity.parse({ ...base, text: '<p>deploy <b>web</b><br/>now</p>' });
    expect(commandText(activity)).toBe('deploy web\nnow');
  });
});

describe('activities as events', () => {
  const conversation = { id: '19:c@thread.tacv2', conversationType: 'channel' };

  it('starts a thread at a channel post that is not in one', () => {
    const n = normalizeTeams(
      Activity.parse({
        ...base,
        text: '<at>Slipway</at> status',
        conversation,
        entities: [{ type: 'mention', text: '<at>Slipway</at>', mentioned: BOT }],
      }),
    );
    expect(n).toMatchObject({
      kind: 'event',
      invoke: false,
      event: { threadTs: '5', text: 'status' },
    });
  });

  it('ignores the bot’s own messages and channel posts that do not mention it', () => {
    expect(normalizeTeams(Activity.parse({ ...base, from: BOT, conversation }))).toMatchObject({
      kind: 'ignore',
    });
    expect(normalizeTeams(Activity.parse({ ...base, text: 'hi', conversation }))).toEqual({
      kind: 'ignore',
      why: 'a message that does not mention the bot',
    });
  });

  it('reads a click without a value as an empty reference, and never a number as one', () => {
    const click = (data: Record<string, unknown>) =>
      normalizeTeams(
        Activity.parse({
          ...base,
          type: 'invoke',
          name: 'adaptiveCard/action',
          conversation,
          value: { action: { type: 'Action.Execute', verb: 'approve', data } },
        }),
      );
    expect(click({})).toMatchObject({
      kind: 'event',
      event: { kind: 'action', value: '', messageTs: '' },
    });
    expect(click({ value: 42 })).toMatchObject({ event: { value: '' } });
  });

  it('ignores invokes it does not know', () => {
    const n = normalizeTeams(
      Activity.parse({ ...base, type: 'invoke', name: 'task/fetch', conversation }),
    );
    expect(n).toEqual({ kind: 'ignore', why: 'invoke task/fetch' });
  });
});
