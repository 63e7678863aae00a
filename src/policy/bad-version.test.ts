import { describe, expect, it } from 'vitest';
import { configFrom } from '../config/test-support/config.js';
import type { BadVersion } from '../core/bad-version.js';
import { decide, type PolicyRequest } from './decide.js';

const CONFIG = configFrom(`
groups:
  release: [UREL]
  devs: [UDEV, alertmanager]
environments:
  - { name: staging, order: 1, deployers: ['@devs', '@release'] }
  - name: production
    order: 2
    deployers: ['@release']
    freeze:
      - { cron: '0 16 * * 5', duration: 64h, timezone: Europe/Berlin, reason: weekend }
    freezeOverride: ['@release']
services:
  - name: web
    driver: { driver: command, options: { deploy: [x] } }
autoDeploy:
  - { service: web, type: branch, pattern: main, environment: staging }
`);

/** Wednesday 6 March 2024, 11:00 in Berlin: no freeze. */
const WEDNESDAY = new Date('2024-03-06T10:00:00Z');
/** Friday 8 March 2024, 18:00 in Berlin: inside the weekend freeze. */
const FRIDAY_EVENING = new Date('2024-03-08T17:00:00Z');

function mark(overrides: Partial<BadVersion> = {}): BadVersion {
  return {
    id: 'b-1',
    service: 'web',
    environment: 'staging',
    version: '1.5.0',
    markedAt: new Date('2024-03-06T09:30:00Z'),
    markedBy: 'slipway',
    reason: 'not healthy within 30s: 1 of 3 ready',
    deploymentId: 'd-1',
    clearedAt: null,
    clearedBy: null,
    clearedReason: null,
    clearedDeploymentId: null,
    ...overrides,
  };
}

const PERSON: PolicyRequest = {
  actor: 'UDEV',
  channel: 'C1',
  source: 'chat',
  action: 'deploy',
  service: 'web',
  environment: 'staging',
  version: '1.5.0',
  badVersion: mark(),
  now: WEDNESDAY,
};

const BUILD: PolicyRequest = { ...PERSON, actor: 'ci', source: 'webhook', channel: null };

const WHAT =
  'web 1.5.0 was rolled back in staging automatically on Wed 6 Mar 09:30 UTC: not healthy within 30s: 1 of 3 ready';

describe('a version a rollback took off the target', () => {
  it('is never deployed there again by a build, even one that says deploy!', () => {
    for (const force of [false, true]) {
      expect(decide(CONFIG, { ...BUILD, force, reason: 'build abc123' })).toEqual({
        allowed: false,
        code: 'bad_version',
        reason: `${WHAT}. Builds and alerts never deploy it there again; a person who has checked it can, with deploy! web 1.5.0 to staging -- <reason>.`,
      });
    }
  });

  it('is never put back by alert automation, which acts as a webhook too', () => {
    const decision = decide(CONFIG, {
      ...BUILD,
      actor: 'alertmanager',
      action: 'rollback',
      badVersion: mark({ markedBy: 'U-ONCALL', reason: 'errors after the deploy' }),
    });
    expect(decision).toMatchObject({
      allowed: false,
      code: 'bad_version',
      reason: expect.stringMatching(
        /^web 1\.5\.0 was rolled back in staging by U-ONCALL on Wed 6 Mar 09:30 UTC: errors after the deploy\. Builds and alerts never/,
      ),
    });
  });

  it('asks a person for deploy! with a reason, saying who rolled it back, when and why', () => {
    expect(decide(CONFIG, PERSON)).toEqual({
      allowed: false,
      code: 'bad_version',
      reason: `${WHAT}. If it is safe now, deploy it anyway and say why: deploy! web 1.5.0 to staging -- <reason>.`,
    });
    // A retry of the failed deployment puts the same version back: the same answer.
    expect(decide(CONFIG, { ...PERSON, action: 'retry' })).toMatchObject({ code: 'bad_version' });
  });

  it('refuses deploy! without a reason, or with only spaces', () => {
    for (const reason of [undefined, null, '', '   ']) {
      expect(decide(CONFIG, { ...PERSON, force: true, reason })).toEqual({
        allowed: false,
        code: 'reason_required',
        reason: `${WHAT}. Deploying it again needs a reason everyone can read: deploy! web 1.5.0 to staging -- <reason>.`,
      });
    }
  });

  it('lets a person deploy it with deploy! and a reason, and says the mark is cleared', () => {
    expect(
      decide(CONFIG, { ...PERSON, force: true, reason: ' the database was the cause (INC-7) ' }),
    ).toEqual({
      allowed: true,
      notes: [
        `${WHAT}; deployed again by UDEV with deploy! ("the database was the cause (INC-7)"), which clears the mark.`,
      ],
    });
  });

  it('still needs the right to deploy there, and the freeze rules on top', () => {
    const production = {
      ...PERSON,
      environment: 'production',
      badVersion: mark({ environment: 'production' }),
      force: true,
      reason: 'hotfix is in',
    };
    // Not a deployer of production: refused for that first, whatever the mark.
    expect(decide(CONFIG, production)).toMatchObject({ code: 'not_deployer' });
    const release = { ...production, actor: 'UREL' };
    expect(decide(CONFIG, release)).toMatchObject({ allowed: true });
    // During the freeze, deploy! overrides both for those who may override it: both notes.
    const frozen = decide(CONFIG, { ...release, now: FRIDAY_EVENING });
    expect(frozen).toMatchObject({ allowed: true });
    expect(frozen.allowed && frozen.notes).toEqual([
      expect.stringMatching(/^web 1\.5\.0 was rolled back in production .* clears the mark\.$/),
      expect.stringMatching(/^Freeze "weekend" overridden by UREL/),
    ]);
  });

  it('changes nothing for a version without a mark', () => {
    expect(decide(CONFIG, { ...PERSON, badVersion: null })).toEqual({ allowed: true, notes: [] });
    expect(decide(CONFIG, { ...BUILD, badVersion: null })).toEqual({ allowed: true, notes: [] });
  });
});
