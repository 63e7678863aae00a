import { describe, expect, it } from 'vitest';
import { type ConfigIssue, formatIssues, parseConfig } from '../../config/load.js';

/** Lines 1–11; each case adds the service's github block below (indented under web). */
const BASE = [
  'environments:', // 1
  '  - name: staging', // 2
  '    order: 1', // 3
  '  - name: production', // 4
  '    order: 2', // 5
  'services:', // 6
  '  - name: web', // 7
  '    driver:', // 8
  '      driver: command', // 9
  '      options:', // 10
  "        deploy: [./deploy.sh, '{version}']", // 11
];

function parse(lines: string[]) {
  return parseConfig([...BASE, ...lines].join('\n'));
}

function only(lines: string[]): ConfigIssue {
  const result = parse(lines);
  if (result.ok) throw new Error('expected the config to be refused');
  expect(result.errors, formatIssues(result.errors)).toHaveLength(1);
  return result.errors[0] as ConfigIssue;
}

describe('services[].github in slipway.yaml', () => {
  it('takes a repository and per-environment GitHub names, URLs and kinds', () => {
    const result = parse([
      '    github:',
      '      repository: acme/web.site',
      '      environments:',
      '        production: { name: Production, url: "https://example.com", production: true }',
      '        staging: { transient: false }',
    ]);
    if (!result.ok) throw new Error(formatIssues(result.errors));
    expect(result.config.services[0]?.github).toEqual({
      repository: 'acme/web.site',
      environments: {
        production: { name: 'Production', url: 'https://example.com', production: true },
        staging: { transient: false },
      },
    });
    const none = parse([]);
    expect(none.ok && none.config.services[0]?.github).toBeUndefined();
  });

  it.each([
    {
      name: 'a URL instead of owner/name',
      line: '      repository: https://github.com/acme/web.git',
      path: 'services[0].github.repository',
      fix: 'write "acme/web"',
    },
    {
      name: 'a name without its owner',
      line: '      repository: web',
      path: 'services[0].github.repository',
      fix: 'write the owner and the repository name with one slash between them, e.g. "acme/web"',
    },
    {
      name: 'an owner GitHub would refuse',
      line: '      repository: -acme/web',
      path: 'services[0].github.repository',
      fix: 'use 1 to 39 letters, digits or single hyphens, not starting or ending with a hyphen',
    },
    {
      name: 'a repository name GitHub would refuse',
      line: '      repository: acme/web site',
      path: 'services[0].github.repository',
      fix: 'use up to 100 letters, digits, ".", "_" or "-"',
    },
  ])('refuses $name on its line, saying how to fix it', ({ line, path, fix }) => {
    const issue = only(['    github:', line]);
    expect(issue).toMatchObject({ path, line: 13, fix });
  });

  it('refuses an environment that is not defined, naming the near one', () => {
    const issue = only([
      '    github:',
      '      repository: acme/web',
      '      environments:',
      '        prodution: { name: Production }',
    ]);
    expect(issue).toMatchObject({
      path: 'services[0].github.environments.prodution',
      line: 15,
      message: 'github.environments names "prodution", which is not defined',
    });
    expect(issue.fix).toMatch(/production/);
  });

  it('refuses an environment URL that is not one', () => {
    const issue = only([
      '    github:',
      '      repository: acme/web',
      '      environments:',
      '        staging: { url: staging.example.com }',
    ]);
    expect(issue.path).toBe('services[0].github.environments.staging.url');
  });
});
