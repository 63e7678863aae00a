import { describe, expect, it } from 'vitest';
import { createMemoryReferences } from '../chat/teams/index.js';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { rememberPlayground, teamsDevPlan } from './dev-teams.js';

function config(text: string): Config {
  const loaded = parseConfig(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

const ANA = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const BEN = '9b2d7c1e-0a4f-4e2b-8c3d-5e6f7a8b9c0d';

const WITH_TEAMS = `
people:
  ana: { teams: ${ANA}, name: Ana Lima, email: ana@example.com }
  alice: { slack: U0ALICE01 }
  ben: { slack: U0BEN0001, teams: ${BEN.toUpperCase()} }
environments:
  - { name: staging, order: 1 }
  - { name: production, order: 2, channels: ["teams:19:prod@thread.tacv2"] }
services:
  - name: web
    owners: [ana]
    channels: { slack: C0WEB, teams: "19:a1b2c3d4e5f6@thread.tacv2" }
    driver: { driver: command, options: { deploy: [echo] } }
  - name: api
    channel: "teams:19:api@thread.tacv2"
    driver: { driver: command, options: { deploy: [echo] } }
  - name: worker
    channel: "teams:19:oncall@thread.v2"
    driver: { driver: command, options: { deploy: [echo] } }
`;

describe('teamsDevPlan: the Playground from a slipway.yaml with Teams ids', () => {
  it('takes the people with a Teams id, the first service channel and group chat, and fills the rest', () => {
    const plan = teamsDevPlan(config(WITH_TEAMS), [], undefined);
    expect(plan.config.people.ana?.teams).toBe(ANA);
    expect(plan.setup.currentUser).toMatchObject({
      key: 'ana',
      aadObjectId: ANA,
      name: 'Ana Lima',
      email: 'ana@example.com',
    });
    expect(plan.setup.people.ben).toMatchObject({ aadObjectId: BEN, name: 'ben' });
    // alice is a person of slipway.yaml without a Teams id: a made-up Alice would be someone else.
    expect(Object.keys(plan.setup.people)).toEqual(['ana', 'ben', 'bob', 'carol', 'dave', 'erin']);
    expect(plan.setup.team.channels[1]).toEqual({
      name: 'web',
      id: '19:a1b2c3d4e5f6@thread.tacv2',
    });
    expect(plan.setup.groupChat.id).toBe('19:oncall@thread.v2');
    expect(plan.notes).toEqual([
      'The Playground has one channel besides General: web (teams:19:a1b2c3d4e5f6@thread.tacv2); not shown: teams:19:api@thread.tacv2.',
      'The Playground needs 6 people; made up: Bob Baker, Carol Chen, Dave Diaz, Erin Evans (not in slipway.yaml: Slipway knows them as Teams users only, with the rights of "*").',
    ]);
    expect(plan.hint).toEqual({
      text: '@Slipway deploy web 1.2.3 to staging',
      where: 'the web channel',
    });
  });

  it('acts as --teams-user, by key or Teams id, and refuses someone without a Teams id', () => {
    const loaded = config(WITH_TEAMS);
    expect(teamsDevPlan(loaded, [], 'ben').setup.currentUser.key).toBe('ben');
    expect(teamsDevPlan(loaded, [], `teams:${BEN}`).setup.currentUser.key).toBe('ben');
    expect(() => teamsDevPlan(loaded, [], 'alice')).toThrow(
      '--teams-user alice: no one under people: with a Teams id is called that. Give one of: ana, ben.',
    );
  });

  it('says who is left out when more than six people have a Teams id', () => {
    const people = Array.from(
      { length: 8 },
      (_, i) => `  p${i}: { teams: 00000000-0000-4000-8000-00000000000${i} }`,
    );
    const text = `people:\n${people.join('\n')}\nenvironments: [{ name: staging, order: 1 }]\nservices: [{ name: web, driver: { driver: command, options: { deploy: [echo] } } }]\n`;
    const plan = teamsDevPlan(config(text), [], 'p7');
    expect(Object.keys(plan.setup.people)).toEqual(['p7', 'p0', 'p1', 'p2', 'p3', 'p4']);
    expect(plan.notes).toContain(
      'The Playground holds 6 people; not in it: p5, p6 (pick who is in it with --teams-user).',
    );
  });
});

describe('teamsDevPlan: the dev overlay of a slipway.yaml without Teams ids', () => {
  const SLACK_ONLY = `
people:
  ops: { slack: U0OPS0001, name: Olga Ops }
groups:
  web-team: [U0WEB0001, ops]
environments:
  - { name: staging, order: 1 }
  - name: production
    order: 2
    channels: [C0DEPLOYS]
    approvals: { required: 1, from: ["@web-team"] }
services:
  - name: web
    owners: ["@web-team"]
    channel: C0WEB
    driver: { driver: command, options: { deploy: [echo] } }
`;
  const slack = [
    { id: 'U0OPS0001', name: 'Ana Lima' },
    { id: 'U0WEB0001', name: 'Emil Sørensen' },
  ];

  it('gives the local Slack people Teams ids, each one person on both platforms', () => {
    const plan = teamsDevPlan(config(SLACK_ONLY), slack, undefined);
    expect(plan.config.people.ops).toMatchObject({ slack: 'U0OPS0001', name: 'Olga Ops' });
    expect(plan.config.people.emil).toMatchObject({ slack: 'U0WEB0001', name: 'Emil Sørensen' });
    expect(plan.config.people.emil?.teams).toBe(plan.setup.people.emil?.aadObjectId);
    // Principals written as Slack ids now name the person, whichever platform they act from.
    expect(plan.config.groups['web-team']).toEqual(['emil', 'ops']);
    expect(plan.setup.currentUser.key).toBe('ops');
    expect(plan.notes[0]).toBe(
      "No one under people: has a Teams id: for this run the local Slack's people get made-up ones, each one person on both: ops (U0OPS0001), emil (U0WEB0001).",
    );
  });

  it("posts a service's cards to the Playground's channel, which may ask where chat was restricted", () => {
    const plan = teamsDevPlan(config(SLACK_ONLY), slack, undefined);
    const web = plan.config.services.find((s) => s.name === 'web');
    expect(web?.channels).toEqual(['C0WEB', 'teams:19:deploys@thread.tacv2']);
    expect(web?.channel).toBe('C0WEB');
    expect(plan.config.environments.map((e) => e.channels)).toEqual([
      [],
      ['C0DEPLOYS', 'teams:19:deploys@thread.tacv2'],
    ]);
    expect(plan.setup.team.channels[1]).toEqual({ name: 'deploys', id: '19:deploys@thread.tacv2' });
    expect(plan.notes[1]).toBe(
      "No service posts to a Teams channel: for this run web's deployments also post to the Playground's deploys channel (teams:19:deploys@thread.tacv2), and chat requests for production may come from it too.",
    );
    expect(plan.hint).toEqual({
      text: '@Slipway deploy web 1.2.3 to staging',
      where: 'the deploys channel',
    });
  });

  it('leaves the loaded config as it was', () => {
    const loaded = config(SLACK_ONLY);
    const before = JSON.stringify(loaded);
    teamsDevPlan(loaded, slack, undefined);
    expect(JSON.stringify(loaded)).toBe(before);
  });
});

describe('rememberPlayground', () => {
  it("records the Playground's conversations and people at its address, the current user's 1:1 chat too", async () => {
    const references = createMemoryReferences();
    const { setup } = teamsDevPlan(config(WITH_TEAMS), [], undefined);
    await references.saveConversation({
      id: setup.team.channels[1]?.id ?? '',
      kind: 'channel',
      serviceUrl: 'http://localhost:1111/_connector',
      tenantId: null,
    });
    await rememberPlayground(references, setup, 4321);
    const serviceUrl = 'http://localhost:4321/_connector';
    expect(await references.conversation('19:a1b2c3d4e5f6@thread.tacv2')).toEqual({
      id: '19:a1b2c3d4e5f6@thread.tacv2',
      kind: 'channel',
      serviceUrl,
      tenantId: setup.tenantId,
    });
    expect((await references.conversation('19:oncall@thread.v2'))?.kind).toBe('groupChat');
    expect(await references.member(`teams:${ANA}`)).toEqual({
      user: `teams:${ANA}`,
      teamsId: '29:ana',
      aadObjectId: ANA,
      name: 'Ana Lima',
      tenantId: setup.tenantId,
      serviceUrl,
      personalConversationId: setup.personalChat.id,
    });
    expect((await references.member(`teams:${BEN}`))?.personalConversationId).toBeNull();
  });
});
