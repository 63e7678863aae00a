import { describe, expect, it } from 'vitest';
import {
  ALICE_TEAMS,
  BOB_TEAMS,
  CAROL_TEAMS,
  configFrom,
  STRANGER,
} from '../config/test-support/config.js';
import {
  actorOf,
  configuredPeople,
  directPlatformsOf,
  displayName,
  platformOf,
  slackIdOf,
  teamsIdOf,
  userIdOn,
} from './identity.js';

const CONFIG = configFrom(`
people:
  alice: { slack: U0ALICE01, teams: ${ALICE_TEAMS}, name: Alice Doe }
  bob: { teams: ${BOB_TEAMS} }
  carol: { slack: U0CAROL01, teams: ${CAROL_TEAMS}, direct: teams }
  erin: { email: erin@example.com, name: Erin }
admins: [operator, U0ALICE01]
groups:
  qa: ["teams:${BOB_TEAMS}", U0OTHER01, "${STRANGER}", "@devs"]
  devs: [ci, carol]
environments: [{ name: production, order: 0, approvals: { required: 1, from: ["@qa"] } }]
services:
  - name: web
    owners: [U0OTHER01]
    driver: { driver: command, options: { deploy: [x] } }
`);

describe('identity', () => {
  it('tells platforms apart by the id prefix', () => {
    expect(platformOf('C0WEB')).toBe('slack');
    expect(platformOf('D0ALICE')).toBe('slack');
    expect(platformOf('teams:19:web@thread.tacv2')).toBe('teams');
    expect(platformOf(STRANGER)).toBe('teams');
  });

  it('turns platform user ids into actor ids', () => {
    expect(actorOf(CONFIG, 'U0ALICE01')).toBe('alice');
    expect(actorOf(CONFIG, `teams:${BOB_TEAMS}`)).toBe('bob');
    expect(actorOf(CONFIG, 'U0OTHER01')).toBe('U0OTHER01');
    expect(actorOf(CONFIG, STRANGER)).toBe(STRANGER);
  });

  it.each([
    ['alice', 'U0ALICE01', `teams:${ALICE_TEAMS}`],
    ['bob', null, `teams:${BOB_TEAMS}`],
    ['erin', null, null],
    // Named by an id of theirs, a listed person is still themselves.
    [`teams:${ALICE_TEAMS}`, 'U0ALICE01', `teams:${ALICE_TEAMS}`],
    ['U0OTHER01', 'U0OTHER01', null],
    [STRANGER, null, STRANGER],
    ['teams:29:1abc', null, 'teams:29:1abc'],
    ['operator', null, null],
  ])('%s is %s on Slack and %s on Teams', (actor, slack, teams) => {
    expect(slackIdOf(CONFIG, actor)).toBe(slack);
    expect(teamsIdOf(CONFIG, actor)).toBe(teams);
    expect(userIdOn(CONFIG, 'slack', actor)).toBe(slack);
    expect(userIdOn(CONFIG, 'teams', actor)).toBe(teams);
  });

  it('messages people directly where they want, Slack first when they are on both', () => {
    expect(directPlatformsOf(CONFIG, 'alice')).toEqual(['slack', 'teams']);
    expect(directPlatformsOf(CONFIG, 'carol')).toEqual(['teams', 'slack']);
    expect(directPlatformsOf(CONFIG, 'bob')).toEqual(['teams']);
    expect(directPlatformsOf(CONFIG, 'erin')).toEqual([]);
    expect(directPlatformsOf(CONFIG, 'U0OTHER01')).toEqual(['slack']);
    expect(directPlatformsOf(CONFIG, STRANGER)).toEqual(['teams']);
    expect(directPlatformsOf(CONFIG, 'operator')).toEqual([]);
  });

  it('names people as the config does', () => {
    expect(displayName(CONFIG, 'alice')).toBe('Alice Doe');
    expect(displayName(CONFIG, 'U0ALICE01')).toBe('Alice Doe');
    expect(displayName(CONFIG, 'bob')).toBeNull();
    expect(displayName(CONFIG, 'U0OTHER01')).toBeNull();
  });

  it('lists everyone the config names, listed or not, once each, and no one who is on no platform', () => {
    expect(configuredPeople(CONFIG)).toEqual([
      { id: 'U0OTHER01', slack: 'U0OTHER01' },
      { id: 'alice', name: 'Alice Doe', slack: 'U0ALICE01', teams: `teams:${ALICE_TEAMS}` },
      { id: 'bob', teams: `teams:${BOB_TEAMS}` },
      { id: 'carol', slack: 'U0CAROL01', teams: `teams:${CAROL_TEAMS}` },
      { id: 'erin', name: 'Erin' },
      { id: STRANGER, teams: STRANGER },
    ]);
  });
});
