import { describe, expect, it } from 'vitest';
import { Config } from '../../config/schema.js';
import { autoDeployEnvironments, globToRegExp, matchesGlob } from './rules.js';

describe('autoDeploy glob patterns', () => {
  it.each([
    ['main', 'main', true],
    ['main', 'mainline', false],
    ['release-*', 'release-1.2', true],
    ['release-*', 'release-', true],
    ['release-*', 'release-1/hotfix', false],
    ['feature/*', 'feature/login', true],
    ['feature/*', 'feature/login/ui', false],
    ['feature/**', 'feature/login/ui', true],
    ['feature/**', 'features/login', false],
    ['**', 'any/thing/at/all', true],
    ['**/hotfix', 'hotfix', true],
    ['**/hotfix', 'team/a/hotfix', true],
    ['**/hotfix', 'team/a/hotfix-2', false],
    ['team/**/ready', 'team/ready', true],
    ['team/**/ready', 'team/x/y/ready', true],
    ['v*.*', 'v1.2', true],
    ['v*.*', 'v12', false],
    ['*', 'main', true],
    ['*', 'feature/x', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(matchesGlob(pattern, name)).toBe(expected);
  });

  it('treats regular-expression characters as themselves', () => {
    expect(matchesGlob('v1.0+build', 'v1.0+build')).toBe(true);
    expect(matchesGlob('v1.0+build', 'v1x0build')).toBe(false);
    expect(matchesGlob('(a|b)', 'a')).toBe(false);
    expect(globToRegExp('a.b').source).toBe('^a\\.b$');
  });
});

describe('which environments a build goes to', () => {
  const binding = { driver: 'command', options: { deploy: ['true'] } };
  const config = Config.parse({
    environments: [
      { name: 'preview', order: 0 },
      { name: 'staging', order: 1 },
      { name: 'production', order: 2 },
    ],
    services: [
      { name: 'web', driver: binding, environments: { preview: {}, staging: {}, production: {} } },
      { name: 'worker', driver: binding, environments: { staging: {} } },
    ],
    autoDeploy: [
      { type: 'branch', pattern: 'feature/**', environment: 'preview' },
      { service: 'web', type: 'branch', pattern: 'main', environment: 'staging' },
      { type: 'branch', pattern: 'main', environment: 'staging' },
      { type: 'tag', pattern: 'v*', environment: 'staging' },
      { type: 'tag', pattern: 'v*', environment: 'production', service: 'web' },
    ],
  });

  it('collects every matching rule, in rule order, each environment once', () => {
    expect(autoDeployEnvironments(config, 'web', { type: 'branch', name: 'main' })).toEqual([
      'staging',
    ]);
    expect(autoDeployEnvironments(config, 'web', { type: 'tag', name: 'v2.0.0' })).toEqual([
      'staging',
      'production',
    ]);
  });

  it('keeps branches and tags apart', () => {
    expect(autoDeployEnvironments(config, 'web', { type: 'tag', name: 'main' })).toEqual([]);
    expect(autoDeployEnvironments(config, 'web', { type: 'branch', name: 'v2.0.0' })).toEqual([]);
  });

  it('applies a rule naming a service to that service only', () => {
    expect(autoDeployEnvironments(config, 'worker', { type: 'tag', name: 'v2.0.0' })).toEqual([
      'staging',
    ]);
  });

  it('skips a rule for every service where the service does not deploy', () => {
    expect(autoDeployEnvironments(config, 'worker', { type: 'branch', name: 'feature/x' })).toEqual(
      [],
    );
    expect(autoDeployEnvironments(config, 'web', { type: 'branch', name: 'feature/x' })).toEqual([
      'preview',
    ]);
  });

  it('finds nothing for a branch no rule names', () => {
    expect(autoDeployEnvironments(config, 'web', { type: 'branch', name: 'experiment' })).toEqual(
      [],
    );
  });
});
