import { describe, expect, it } from 'vitest';
import { isMemberId, knownNames, memberIdsIn, withNames } from './people.js';

const names = new Map([['U0API0001', 'Ana Lima']]);

describe('people named by id', () => {
  it('tells Slack member ids from other identities', () => {
    expect(['U0API0001', 'W0ABCDEF12'].map(isMemberId)).toEqual([true, true]);
    expect(['operator', 'slipway', 'UNLOCKED', 'U-DEV1', 'C0DEPLOYS1'].map(isMemberId)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('finds the ids in a sentence once each, but not a mention someone typed', () => {
    expect(
      memberIdsIn('locked by U0WEB0001, asked by U0API0001 and U0WEB0001; not @U0QA00001'),
    ).toEqual(['U0WEB0001', 'U0API0001']);
    const teams = 'teams:3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    expect(memberIdsIn(`locked by ${teams}; not teams:general`)).toEqual([teams]);
  });

  it('puts known names in place of ids and leaves the others', () => {
    expect(withNames('U0API0001 may not deploy web; locked by U0WEB0001.', names)).toBe(
      'Ana Lima may not deploy web; locked by U0WEB0001.',
    );
  });

  it('reads names of people only (members, Teams users, person keys), and goes on with ids when the store fails', async () => {
    const asked: string[][] = [];
    const source = {
      findPeople: async (ids: readonly string[]) => {
        asked.push([...ids]);
        return new Map([['U0API0001', { name: 'Ana Lima' }]]);
      },
    };
    const teams = 'teams:3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    expect(
      await knownNames(source, ['U0API0001', 'cli:ops', 'U0API0001', teams, 'ana', '@qa']),
    ).toEqual(names);
    expect(asked).toEqual([['U0API0001', teams, 'ana']]);
    expect(await knownNames(source, ['cli:ops', '*'])).toEqual(new Map());
    expect(asked).toHaveLength(1);

    const errors: unknown[] = [];
    const failing = { findPeople: () => Promise.reject(new Error('database is locked')) };
    expect(await knownNames(failing, ['U0API0001'], (err) => errors.push(err))).toEqual(new Map());
    expect(errors).toHaveLength(1);
  });
});
