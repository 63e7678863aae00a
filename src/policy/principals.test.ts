import { describe, expect, it } from 'vitest';
import type { Service } from '../config/schema.js';
import { configFrom } from '../config/test-support/config.js';
import { isAdmin, isMember, membersOf } from './principals.js';

const CONFIG = configFrom(`
admins: ['@sre']
groups:
  sre: [U1, '@oncall']
  oncall: [U2, '@sre'] # a cycle: must not loop
  qa: [U3]
environments: [{ name: production, order: 0 }]
services:
  - name: web
    owners: [U4, '@sre']
    qa: ['@qa']
    driver: { driver: command, options: { deploy: [x] } }
`);
const WEB = CONFIG.services[0] as Service;

describe('isMember', () => {
  it.each([
    ['a user id', 'U9', ['U9'], null, true],
    ['anyone', 'U9', ['*'], null, true],
    ['a group member', 'U3', ['@qa'], null, true],
    ['a member of a nested group', 'U2', ['@sre'], null, true],
    ['not a member, through a cycle', 'U9', ['@sre'], null, false],
    ['an undefined group', 'U3', ['@nope'], null, false],
    ['service owners, directly', 'U4', ['service:owners'], WEB, true],
    ['service owners, through groups', 'U2', ['service:owners'], WEB, true],
    ['service QA', 'U3', ['service:qa'], WEB, true],
    ['service roles without a service', 'U4', ['service:owners'], null, false],
    ['a group name is not a user', '@qa', ['@qa'], null, false],
    ['an empty actor is nobody, even for *', '', ['*'], null, false],
  ] as const)('%s', (_name, actor, principals, service, expected) => {
    expect(isMember(CONFIG, actor, principals, service)).toBe(expected);
  });

  it('knows admins through groups', () => {
    expect(isAdmin(CONFIG, 'U2')).toBe(true);
    expect(isAdmin(CONFIG, 'U4')).toBe(false);
  });
});

describe('membersOf', () => {
  it('expands groups and service roles to user ids, once each', () => {
    expect(membersOf(CONFIG, ['service:owners', '@qa', 'U1'], WEB)).toEqual({
      users: ['U4', 'U1', 'U2', 'U3'],
      anyone: false,
    });
  });

  it('says when anyone may', () => {
    expect(membersOf(CONFIG, ['@qa', '*'])).toEqual({ users: ['U3'], anyone: true });
  });
});
