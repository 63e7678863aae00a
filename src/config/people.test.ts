import { describe, expect, it } from 'vitest';
import { actorOf, configuredPeople, personKeyOf } from './people.js';
import { ALICE_TEAMS, BOB_TEAMS, CAROL_TEAMS, configFrom } from './test-support/config.js';

const CONFIG = configFrom(`
people:
  alice:
    slack: U0ALICE01
    teams: ${ALICE_TEAMS.toUpperCase()}
    name: Alice Doe
    email: alice@example.com
  bob:
    teams: ${BOB_TEAMS}
    direct: teams
  carol:
    slack: U0CAROL01
    teams: ${CAROL_TEAMS}
    direct: teams
  dan: { email: dan@example.com }
admins: [operator, U0ALICE01]
groups:
  qa: [U0ALICE01, "teams:${ALICE_TEAMS}", alice, "teams:${BOB_TEAMS.toUpperCase()}", U0OTHER01]
environments:
  - name: production
    order: 0
    approvals: { required: 1, from: ["@qa", carol] }
    channels: [C0DEPLOYS, "teams:19:deploys@thread.tacv2"]
    freezeOverride: ["teams:${ALICE_TEAMS}"]
services:
  - name: web
    owners: [U0CAROL01]
    qa: ["@qa"]
    channels: { slack: C0WEB, teams: "19:web@thread.tacv2" }
    driver: { driver: command, options: { deploy: [x] } }
  - name: api
    owners: [carol]
    channel: "teams:19:api@thread.tacv2"
    driver: { driver: command, options: { deploy: [x] } }
  - name: worker
    driver: { driver: command, options: { deploy: [x] } }
alerts:
  channel: "teams:19:alerts@thread.v2"
`);

describe('people in the loaded config', () => {
  it('names every listed person by key wherever a principal named them, each once', () => {
    expect(CONFIG.admins).toEqual(['operator', 'alice']);
    expect(CONFIG.groups.qa).toEqual(['alice', 'bob', 'U0OTHER01']);
    expect(CONFIG.services[0]?.owners).toEqual(['carol']);
    expect(CONFIG.services[1]?.owners).toEqual(['carol']);
    expect(CONFIG.environments[0]?.approvals.from).toEqual(['@qa', 'carol']);
    expect(CONFIG.environments[0]?.freezeOverride).toEqual(['alice']);
  });

  it('keeps each person with Teams ids in lower case and where to message them directly', () => {
    expect(CONFIG.people.alice).toEqual({
      slack: 'U0ALICE01',
      teams: ALICE_TEAMS,
      name: 'Alice Doe',
      email: 'alice@example.com',
      direct: 'slack',
    });
    expect(CONFIG.people.bob?.direct).toBe('teams');
    expect(CONFIG.people.carol?.direct).toBe('teams');
    expect(CONFIG.people.dan?.direct).toBeNull();
  });

  it('gives every service its channels on every platform, and channel as the first', () => {
    const [web, api, worker] = CONFIG.services;
    expect(web?.channels).toEqual(['C0WEB', 'teams:19:web@thread.tacv2']);
    expect(web?.channel).toBe('C0WEB');
    expect(api?.channels).toEqual(['teams:19:api@thread.tacv2']);
    expect(api?.channel).toBe('teams:19:api@thread.tacv2');
    expect(worker?.channels).toEqual([]);
    expect(worker && 'channel' in worker).toBe(false);
    expect(CONFIG.environments[0]?.channels).toEqual([
      'C0DEPLOYS',
      'teams:19:deploys@thread.tacv2',
    ]);
    expect(CONFIG.alerts.channel).toBe('teams:19:alerts@thread.v2');
  });

  it('leaves a config without people as it was', () => {
    const plain = configFrom(`
admins: [U0ADMIN01, operator]
environments: [{ name: staging, order: 0 }]
services:
  - name: web
    owners: [U0WEB0001]
    channel: C0WEB
    driver: { driver: command, options: { deploy: [x] } }
`);
    expect(plain.people).toEqual({});
    expect(plain.admins).toEqual(['U0ADMIN01', 'operator']);
    expect(plain.services[0]?.channels).toEqual(['C0WEB']);
  });
});

describe('actorOf', () => {
  it.each([
    ['a Slack id of a listed person', 'U0ALICE01', 'alice'],
    ['a Teams id of a listed person', `teams:${ALICE_TEAMS}`, 'alice'],
    ['a Teams id in capitals', `teams:${ALICE_TEAMS.toUpperCase()}`, 'alice'],
    ['a person key', 'bob', 'bob'],
    ['an unlisted Slack user', 'U0OTHER01', 'U0OTHER01'],
    [
      'an unlisted Teams user, in lower case',
      'teams:AAAAAAAA-0000-4000-8000-000000000000',
      'teams:aaaaaaaa-0000-4000-8000-000000000000',
    ],
    ['a Teams user known only by their channel id', 'teams:29:1abc', 'teams:29:1abc'],
    ['the CLI identity', 'operator', 'operator'],
  ])('%s', (_what, id, actor) => {
    expect(actorOf(CONFIG, id)).toBe(actor);
  });

  it('tells listed people from everyone else', () => {
    expect(personKeyOf(CONFIG, 'U0CAROL01')).toBe('carol');
    expect(personKeyOf(CONFIG, 'U0OTHER01')).toBeNull();
  });
});

describe('configuredPeople (Slack users, for the local Slack)', () => {
  it("lists listed people's Slack ids and the bare Slack ids, not keys or Teams users", () => {
    expect(configuredPeople(CONFIG)).toEqual(['U0ALICE01', 'U0CAROL01', 'U0OTHER01']);
  });
});
