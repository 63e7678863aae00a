import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { playgroundSetup } from './setup.js';

describe('playgroundSetup from a slipway.yaml', () => {
  it('takes the channel and group chat ids it is given, and fills people around the keys to avoid', () => {
    const setup = playgroundSetup({
      users: [
        { key: 'ana', aadObjectId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', name: 'Ana Lima' },
      ],
      team: { channel: 'api', channelId: '19:a1b2c3@thread.tacv2' },
      groupChat: { id: '19:oncall@thread.v2' },
      avoid: ['alice', 'bob'],
    });
    expect(setup.team.channels).toEqual([
      { name: 'General', id: '19:general@thread.tacv2' },
      { name: 'api', id: '19:a1b2c3@thread.tacv2' },
    ]);
    expect(setup.groupChat.id).toBe('19:oncall@thread.v2');
    expect(Object.keys(setup.people)).toEqual(['ana', 'carol', 'dave', 'erin', 'frank', 'guest1']);
    expect(setup.currentUser).toMatchObject({
      id: '29:ana',
      aadObjectId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
    });
    const yaml = parse(setup.yaml) as {
      team: { channels: unknown[] };
      groupChat: { id: string };
      users: unknown[];
    };
    expect(yaml.team.channels).toEqual([{ name: 'api', id: '19:a1b2c3@thread.tacv2' }]);
    expect(yaml.groupChat.id).toBe('19:oncall@thread.v2');
    expect(yaml.users).toHaveLength(5);
  });

  it("refuses General's id for the other channel", () => {
    expect(() => playgroundSetup({ team: { channelId: '19:general@thread.tacv2' } })).toThrow(
      /General channel/,
    );
  });
});
