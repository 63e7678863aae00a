import { describe, expect, it } from 'vitest';
import { formatIssues, parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
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

const ALICE_TEAMS = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const BOB_TEAMS = '9b2c1d4e-0000-4a1b-8c2d-111122223333';
const CAROL_TEAMS = '11111111-2222-4333-8444-555555555555';
const STRANGER = 'teams:aaaaaaaa-0000-4000-8000-000000000000';

function load(text: string): Config {
  const result = parseConfig(text);
  if (!result.ok) throw new Error(formatIssues(result.errors));
  return result.config;
}

const CONFIG = load(`
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
