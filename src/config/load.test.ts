import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { type ConfigIssue, formatIssues, loadConfig, parseConfig } from './load.js';

const EXAMPLE = new URL('../../examples/slipway.yaml', import.meta.url).pathname;

/** A stand-in for the command driver's options, so these tests do not depend on src/drivers. */
const fakeSchemas = new Map<string, z.ZodType>([
  [
    'command',
    z
      .object({
        deploy: z.array(z.string()).min(1),
        status: z.array(z.string()).optional(),
        rollback: z.array(z.string()).optional(),
        teardown: z.array(z.string()).optional(),
        url: z.string().optional(),
        cwd: z.string().optional(),
        outputLimit: z.string().optional(),
        timeout: z
          .string()
          .refine((t) => /^\d+[smh]$/.test(t), { message: 'write a duration like "10m"' })
          .optional(),
        env: z.record(z.string(), z.string()).optional(),
      })
      .strict(),
  ],
  ['kubernetes', z.object({ namespace: z.string() }).strict()],
]);

/** Lines 1–11; tests append below, so line numbers in the cases are easy to count. */
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

function issues(lines: string[]): ConfigIssue[] {
  const result = parseConfig(lines.join('\n'), { driverSchemas: fakeSchemas });
  if (result.ok) throw new Error('expected the config to be refused');
  return result.errors;
}

function only(lines: string[]): ConfigIssue {
  const found = issues(lines);
  expect(found, formatIssues(found)).toHaveLength(1);
  return found[0] as ConfigIssue;
}

describe('parseConfig on valid files', () => {
  it('accepts the example with defaults filled in', async () => {
    const result = await loadConfig(EXAMPLE, { driverSchemas: fakeSchemas });
    if (!result.ok) throw new Error(formatIssues(result.errors, EXAMPLE));
    const production = result.config.environments.find((e) => e.name === 'production');
    expect(production?.protected).toBe(true);
    expect(production?.freeze[0]?.timezone).toBe('Europe/Berlin');
    expect(result.config.services.map((s) => s.name)).toEqual(['web', 'api']);
    expect(result.config.engine.lease).toBe('30s');
  });

  it('accepts the example with the real driver registry', async () => {
    const { driverOptionSchemas } = await import('../drivers/index.js');
    const result = await loadConfig(EXAMPLE, { driverSchemas: driverOptionSchemas() });
    expect(result.ok, result.ok ? '' : formatIssues(result.errors, EXAMPLE)).toBe(true);
  });

  it('accepts the minimal base', () => {
    expect(parseConfig(BASE.join('\n'), { driverSchemas: fakeSchemas }).ok).toBe(true);
  });

  it('defaults deployers to service owners on protected environments, to anyone elsewhere', () => {
    const text = [...BASE.slice(0, 5), '    protected: true', ...BASE.slice(5)].join('\n');
    const result = parseConfig(text);
    if (!result.ok) throw new Error(formatIssues(result.errors));
    expect(result.config.environments[0]?.deployers).toEqual(['*']);
    expect(result.config.environments[1]?.deployers).toEqual(['service:owners']);
  });

  it('keeps explicit deployers on protected environments', () => {
    const text = [
      ...BASE.slice(0, 5),
      '    protected: true',
      "    deployers: ['@release']",
      'groups:',
      '  release: [U1]',
      ...BASE.slice(5),
    ];
    const result = parseConfig(text.join('\n'));
    expect(result.ok && result.config.environments[1]?.deployers).toEqual(['@release']);
  });

  it('accepts an environment entry with no value as "use the default driver"', () => {
    const result = parseConfig([...BASE, '    environments:', '      staging:'].join('\n'), {
      driverSchemas: fakeSchemas,
    });
    expect(result.ok && result.config.services[0]?.environments).toEqual({ staging: {} });
  });
});

interface Case {
  name: string;
  lines: string[];
  path: string;
  line: number;
  column?: number;
  message: string;
  fix: string;
}

const CASES: Case[] = [
  {
    name: 'a service lists an environment that does not exist (near miss)',
    lines: [...BASE, '    environments:', '      prod: {}'],
    path: 'services[0].environments.prod',
    line: 13,
    column: 7,
    message: 'service "web" lists environment "prod", which is not defined',
    fix: 'rename this key to "production"',
  },
  {
    name: 'a service lists an environment that does not exist',
    lines: [...BASE, '    environments:', '      qa: {}'],
    path: 'services[0].environments.qa',
    line: 13,
    message: '"qa", which is not defined',
    fix: 'add an environment named "qa" under environments, or remove this key',
  },
  {
    name: 'two environments share a name',
    lines: [...BASE.slice(0, 5), '  - name: staging', '    order: 3', ...BASE.slice(5)],
    path: 'environments[2].name',
    line: 6,
    column: 11,
    message: 'environment "staging" is defined twice (first as environments[0])',
    fix: 'rename one of them',
  },
  {
    name: 'two environments share an order',
    lines: [...BASE.slice(0, 4), '    order: 1', ...BASE.slice(5)],
    path: 'environments[1].order',
    line: 5,
    message: 'order 1 is used by both "staging" and "production"',
    fix: 'give each environment its own order',
  },
  {
    name: 'two services share a name',
    lines: [...BASE, '  - name: web', '    driver: { driver: command, options: { deploy: [x] } }'],
    path: 'services[1].name',
    line: 12,
    message: 'service "web" is defined twice',
    fix: 'rename one of them',
  },
  {
    name: 'a required key is missing (reported where it belongs)',
    lines: [...BASE.slice(0, 4), ...BASE.slice(5)],
    path: 'environments[1].order',
    line: 4,
    column: 5,
    message: 'order is missing',
    fix: 'add "order: <n>"',
  },
  {
    name: 'a list written as a single value',
    lines: [...BASE, '    owners: U012ABC'],
    path: 'services[0].owners',
    line: 12,
    column: 13,
    message: 'owners should be a list, not the text "U012ABC"',
    fix: 'write a list: [U012ABC]',
  },
  {
    name: 'a misspelt key',
    lines: [...BASE.slice(0, 3), '    protect: true', ...BASE.slice(3)],
    path: 'environments[0].protect',
    line: 4,
    column: 5,
    message: 'unknown key "protect"',
    fix: 'did you mean "protected"?',
  },
  {
    name: 'a value outside an enum',
    lines: [...BASE.slice(0, 3), '    whenBusy: wait', ...BASE.slice(3)],
    path: 'environments[0].whenBusy',
    line: 4,
    message: '"wait" is not allowed for whenBusy',
    fix: 'write "queue" or "reject"',
  },
  {
    name: 'a name with capitals',
    lines: [...BASE.slice(0, 6), '  - name: Web', ...BASE.slice(7)],
    path: 'services[0].name',
    line: 7,
    message: '"Web" is not a valid name',
    fix: 'use lowercase letters, digits and dashes',
  },
  {
    name: 'a group that is not defined',
    lines: [...BASE, "    owners: ['@web-team']", 'groups:', '  web: [U1]'],
    path: 'services[0].owners[0]',
    line: 12,
    column: 14,
    message: 'group "@web-team" is not defined',
    fix: 'add "web-team: [<user ids>]" under groups, or use a defined group',
  },
  {
    name: 'a chat mention instead of a user id',
    lines: [...BASE, "    owners: ['<@U012ABC>']"],
    path: 'services[0].owners[0]',
    line: 12,
    message: '"<@U012ABC>" is a chat mention, not a user id',
    fix: 'write the bare user id: U012ABC',
  },
  {
    name: 'owners defined by themselves',
    lines: [...BASE, "    owners: ['service:owners']"],
    path: 'services[0].owners[0]',
    line: 12,
    message: 'refers to this very list',
    fix: 'list the owners by user id or @group',
  },
  {
    name: 'approvals nobody may give',
    lines: [...BASE.slice(0, 5), '    approvals: { required: 2 }', ...BASE.slice(5)],
    path: 'environments[1].approvals.from',
    line: 6,
    message: 'production requires 2 approvals but nobody may give them',
    fix: 'list who may approve under approvals.from',
  },
  {
    name: 'autoDeploy to an unknown environment',
    lines: [
      ...BASE,
      'autoDeploy:',
      '  - type: branch',
      '    pattern: main',
      '    environment: stagin',
    ],
    path: 'autoDeploy[0].environment',
    line: 15,
    message: 'autoDeploy sends builds to "stagin", which is not defined',
    fix: 'did you mean "staging"?',
  },
  {
    name: 'autoDeploy for an unknown service',
    lines: [
      ...BASE,
      'autoDeploy:',
      '  - { service: api, type: tag, pattern: "v*", environment: staging }',
    ],
    path: 'autoDeploy[0].service',
    line: 13,
    message: 'autoDeploy names service "api", which is not defined',
    fix: 'use a defined service',
  },
  {
    name: 'a service without any driver',
    lines: [...BASE.slice(0, 7)],
    path: 'services[0]',
    line: 7,
    message: 'service "web" has no driver, so it cannot be deployed anywhere',
    fix: 'add "driver:',
  },
  {
    name: 'an environment entry without a driver and no default',
    lines: [
      ...BASE.slice(0, 7),
      '    environments:',
      '      staging: { options: { namespace: web } }',
    ],
    path: 'services[0].environments.staging',
    line: 9,
    message: 'service "web" has no driver for staging',
    fix: 'add "driver: <id>" here, or a default driver',
  },
  {
    name: 'an unknown driver id',
    lines: [...BASE.slice(0, 8), '      driver: comand', ...BASE.slice(9)],
    path: 'services[0].driver.driver',
    line: 9,
    column: 15,
    message: 'there is no driver "comand"',
    fix: 'did you mean "command"?',
  },
  {
    name: 'a driver option of the wrong type, at the option line',
    lines: [...BASE.slice(0, 10), '        deploy: ./deploy.sh {version}'],
    path: 'services[0].driver.options.deploy',
    line: 11,
    column: 17,
    message: 'deploy should be a list, not the text "./deploy.sh {version}"',
    fix: 'write a list',
  },
  {
    name: 'a driver option refused by a refinement',
    lines: [...BASE, '        timeout: 10 minutes'],
    path: 'services[0].driver.options.timeout',
    line: 12,
    message: '"10 minutes" is not a valid timeout',
    fix: 'write a duration like "10m"',
  },
  {
    name: 'an unknown driver option',
    lines: [...BASE, '        statsu: [./status.sh]'],
    path: 'services[0].driver.options.statsu',
    line: 12,
    message: 'unknown key "statsu"',
    fix: 'did you mean "status"?',
  },
  {
    name: 'an option merged from an environment entry is reported in the entry',
    lines: [
      ...BASE,
      '    environments:',
      '      production:',
      '        options: { timeout: soon }',
    ],
    path: 'services[0].environments.production.options.timeout',
    line: 14,
    message: '"soon" is not a valid timeout',
    fix: 'write a duration',
  },
  {
    name: 'options for another driver in an environment entry',
    lines: [
      ...BASE,
      '    environments:',
      '      production:',
      '        driver: kubernetes',
      '        options: { namespace: web, ns: web }',
    ],
    path: 'services[0].environments.production.options.ns',
    line: 15,
    column: 36,
    message: 'unknown key "ns"',
    fix: 'namespace',
  },
  {
    name: 'a freeze cron with four fields',
    lines: [
      ...BASE.slice(0, 5),
      '    freeze:',
      "      - { cron: '0 16 * *', duration: 64h }",
      ...BASE.slice(5),
    ],
    path: 'environments[1].freeze[0].cron',
    line: 7,
    message: '"0 16 * *" has 4 fields; a freeze cron has 5',
    fix: 'write 5 fields: minute hour day-of-month month day-of-week',
  },
  {
    name: 'a freeze cron out of range',
    lines: [
      ...BASE.slice(0, 5),
      '    freeze:',
      "      - { cron: '0 25 * * 5', duration: 64h }",
      ...BASE.slice(5),
    ],
    path: 'environments[1].freeze[0].cron',
    line: 7,
    message: '"0 25 * * 5" is not a valid cron expression',
    fix: 'write 5 fields',
  },
  {
    name: 'a freeze time zone that does not exist',
    lines: [
      ...BASE.slice(0, 5),
      '    freeze:',
      "      - cron: '0 16 * * 5'",
      '        duration: 64h',
      '        timezone: Europe/Berln',
      ...BASE.slice(5),
    ],
    path: 'environments[1].freeze[0].timezone',
    line: 9,
    column: 19,
    message: '"Europe/Berln" is not a time zone',
    fix: 'write an IANA time zone name like "Europe/Berlin"',
  },
  {
    name: 'a duration that is not one',
    lines: [...BASE.slice(0, 5), '    verifyWindow: 2 minutes', ...BASE.slice(5)],
    path: 'environments[1].verifyWindow',
    line: 6,
    message: '"2 minutes" is not a duration',
    fix: 'write a duration like "30s", "10m"',
  },
  {
    name: 'a principal naming a person who is not listed (near miss)',
    lines: [...BASE, '    owners: [alcie]', 'people:', '  alice: { slack: U0ALICE01 }'],
    path: 'services[0].owners[0]',
    line: 12,
    column: 14,
    message: '"alcie" names no one: there is no "alcie" under people',
    fix: 'did you mean "alice"?',
  },
  {
    name: 'a principal naming a person without any people',
    lines: [...BASE, '    qa: [bob]'],
    path: 'services[0].qa[0]',
    line: 12,
    message: '"bob" names no one',
    fix: 'add "bob: {slack: <member id>, teams: <Entra ID object id>}" under people',
  },
  {
    name: 'the same Slack id under two people',
    lines: [...BASE, 'people:', '  alice: { slack: U0ALICE01 }', '  bob:', '    slack: U0ALICE01'],
    path: 'people.bob.slack',
    line: 15,
    column: 12,
    message: "Slack id U0ALICE01 is also alice's: one Slack account belongs to one person",
    fix: 'remove it from bob or from alice; if they are the same person, merge the two entries',
  },
  {
    name: 'the same Teams id under two people, in other capitals',
    lines: [
      ...BASE,
      'people:',
      '  alice: { teams: 3f2504e0-4f89-41d3-9a0c-0305e82c3301 }',
      '  bob: { teams: 3F2504E0-4F89-41D3-9A0C-0305E82C3301 }',
    ],
    path: 'people.bob.teams',
    line: 14,
    message: "Teams id 3F2504E0-4F89-41D3-9A0C-0305E82C3301 is also alice's",
    fix: 'remove it from bob or from alice',
  },
  {
    name: 'a Teams id that is no Entra ID object id',
    lines: [...BASE, 'people:', '  alice:', '    teams: alice@example.com'],
    path: 'people.alice.teams',
    line: 14,
    column: 12,
    message: '"alice@example.com" is not a Teams user id (an Entra ID object id)',
    fix: 'a GUID like 3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  },
  {
    name: 'a Teams id written with the prefix under its platform key',
    lines: [...BASE, 'people:', '  alice: { teams: "teams:3f2504e0-4f89-41d3-9a0c-0305e82c3301" }'],
    path: 'people.alice.teams',
    line: 13,
    message: 'carries the "teams:" prefix, which this key already implies',
    fix: 'write 3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  },
  {
    name: 'a Slack member id in small letters',
    lines: [...BASE, 'people:', '  alice: { slack: u0alice01 }'],
    path: 'people.alice.slack',
    line: 13,
    message: '"u0alice01" is not a Slack member id: Slack writes them in capitals',
    fix: 'write U0ALICE01',
  },
  {
    name: 'a person key with capitals',
    lines: [...BASE, 'people:', '  Alice: { slack: U0ALICE01 }'],
    path: 'people.Alice',
    line: 13,
    column: 3,
    message: '"Alice" is not a valid name here',
    fix: 'use lowercase letters, digits, ".", "_" and "-", starting with a letter',
  },
  {
    name: 'direct messages on a platform the person is not on',
    lines: [...BASE, 'people:', '  alice: { slack: U0ALICE01, direct: teams }'],
    path: 'people.alice.direct',
    line: 13,
    message: "alice's direct messages go to Teams, but alice has no teams id",
    fix: 'add "teams: <Entra ID object id>" to alice, or remove "direct"',
  },
  {
    name: 'a malformed Teams user in a principal',
    lines: [...BASE, "    owners: ['teams:alice']"],
    path: 'services[0].owners[0]',
    line: 12,
    message: '"teams:alice" is not a Teams user id',
    fix: 'after "teams:"',
  },
  {
    name: 'a service with both channel and channels',
    lines: [...BASE, '    channel: C0WEB', '    channels: { slack: C0WEB }'],
    path: 'services[0].channels',
    line: 13,
    column: 5,
    message: 'service "web" has both channel and channels',
    fix: 'keep one',
  },
  {
    name: 'a Teams channel id that is not one',
    lines: [...BASE, '    channels:', '      teams: general'],
    path: 'services[0].channels.teams',
    line: 13,
    column: 14,
    message: '"general" is not a Teams channel or group chat id',
    fix: 'Get link to channel',
  },
  {
    name: 'a Teams conversation id in a list without its prefix',
    lines: [...BASE.slice(0, 5), "    channels: ['19:deploys@thread.tacv2']", ...BASE.slice(5)],
    path: 'environments[1].channels[0]',
    line: 6,
    message: 'looks like a Teams conversation id without its "teams:" prefix',
    fix: 'write "teams:19:deploys@thread.tacv2"',
  },
  {
    name: 'a Teams channel on the Slack key',
    lines: [...BASE, '    channels: { slack: "teams:19:web@thread.tacv2" }'],
    path: 'services[0].channels.slack',
    line: 12,
    message: 'is a Teams conversation, not a Slack channel',
    fix: 'put it under "teams"',
  },
  {
    name: 'an alerts channel on Teams that is malformed',
    lines: [...BASE, 'alerts:', '  channel: "teams:alerts"'],
    path: 'alerts.channel',
    line: 13,
    message: '"teams:alerts" is not a Teams channel or group chat id',
    fix: 'write "teams:" before it',
  },
];

describe('parseConfig on broken files', () => {
  it.each(CASES)('$name', ({ lines, path, line, column, message, fix }) => {
    const issue = only(lines);
    expect(issue.path).toBe(path);
    expect(issue.line).toBe(line);
    if (column !== undefined) expect(issue.column).toBe(column);
    expect(issue.message).toContain(message);
    expect(issue.fix).toContain(fix);
  });

  it('reports every problem at once, in file order, across broken and valid entries', () => {
    const found = issues([
      'environments:',
      '  - name: staging',
      '    order: one', // 3
      '  - name: production',
      '    order: 2',
      '    whenBusy: later', // 6
      'services:',
      '  - name: web',
      '    owners: U1', // 9: this service is invalid, its references are still checked
      '    driver: { driver: command, options: { deploy: [x] } }',
      '    environments:',
      '      prod: {}', // 12
      'autoDeploy:',
      '  - { type: branch, pattern: main, environment: qa }', // 14
    ]);
    expect(found.map((i) => [i.line, i.path])).toEqual([
      [3, 'environments[0].order'],
      [6, 'environments[1].whenBusy'],
      [9, 'services[0].owners'],
      [12, 'services[0].environments.prod'],
      [14, 'autoDeploy[0].environment'],
    ]);
  });

  it('points YAML syntax errors at their line and column', () => {
    const found = issues([
      'environments:',
      '  - name: staging',
      '    order: 1',
      '   bad: [',
      'services: []',
    ]);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]?.line).toBe(4);
    expect(found[0]?.message).toMatch(/^YAML syntax: /);
    expect(found[0]?.fix).not.toBe('');
  });

  it('refuses duplicate keys as a syntax error', () => {
    const found = issues([...BASE.slice(0, 3), '    order: 2', ...BASE.slice(3)]);
    expect(found[0]).toMatchObject({ line: 4, column: 5 });
    expect(found[0]?.fix).toContain('remove one of the two entries');
  });

  it('explains an empty file', () => {
    const found = issues(['# nothing yet']);
    expect(found).toEqual([
      expect.objectContaining({
        line: 1,
        message: 'the file is empty',
        fix: expect.stringContaining('environments'),
      }),
    ]);
  });

  it('checks driver ids and options only when driver schemas are given', () => {
    const text = [...BASE.slice(0, 8), '      driver: nope', ...BASE.slice(9)].join('\n');
    expect(parseConfig(text).ok).toBe(true);
    expect(parseConfig(text, { driverSchemas: fakeSchemas }).ok).toBe(false);
  });
});

describe('secrets in the config', () => {
  it('refuses a literal under a key named like a credential, and says to use the environment', () => {
    const issue = only([...BASE, '        env:', '          GITHUB_TOKEN: abc123def']);
    expect(issue).toMatchObject({
      path: 'services[0].driver.options.env.GITHUB_TOKEN',
      line: 13,
      column: 11,
    });
    expect(issue.message).toContain(
      '"GITHUB_TOKEN" holds a literal value that looks like a secret',
    );
    expect(issue.fix).toContain('set the environment variable GITHUB_TOKEN');
  });

  it.each([
    ['apiKey', 'API_KEY'],
    ['password', 'PASSWORD'],
    ['client_secret', 'CLIENT_SECRET'],
  ])('refuses %s and suggests %s', (key, variable) => {
    const found = issues([...BASE, '        env:', `          ${key}: hunter2`]);
    const secret = found.find((i) => i.message.includes('looks like a secret'));
    expect(secret?.line).toBe(13);
    expect(secret?.fix).toContain(variable);
  });

  it('refuses token-shaped values under any key', () => {
    const found = issues([...BASE, '        env:', '          NOTE: xoxb-1234567890-abcdefghij']);
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain('looks like a Slack token');
    expect(found[0]?.fix).toContain('environment variable');
  });

  it('allows keys that name where a secret lives', () => {
    const text = [
      ...BASE.slice(0, 8),
      '      driver: kubernetes',
      '      options: { namespace: web }',
    ].join('\n');
    const schemas = new Map<string, z.ZodType>([
      [
        'kubernetes',
        z
          .object({ namespace: z.string(), tokenEnv: z.string(), passwordFile: z.string() })
          .partial(),
      ],
    ]);
    const withRefs = `${text.replace('{ namespace: web }', '{ tokenEnv: DEPLOY_TOKEN, passwordFile: /run/secrets/db }')}`;
    const result = parseConfig(withRefs, { driverSchemas: schemas });
    expect(result.ok, result.ok ? '' : formatIssues(result.errors)).toBe(true);
  });
});

describe('loadConfig and formatIssues', () => {
  it('explains a file that does not exist', async () => {
    const result = await loadConfig('/nonexistent/slipway.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]?.message).toBe('no such file');
    expect(formatIssues(result.errors, '/nonexistent/slipway.yaml')).toContain(
      '/nonexistent/slipway.yaml no such file',
    );
    expect(result.errors[0]?.fix).toContain('SLIPWAY_CONFIG');
    expect(formatIssues(result.errors, '/nonexistent/slipway.yaml')).toMatch(
      /^\/nonexistent\/slipway\.yaml no such file — fix: /,
    );
  });

  it('reads a file and names it in the output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-config-'));
    const file = join(dir, 'slipway.yaml');
    await writeFile(file, [...BASE, '    owners: U1'].join('\n'));
    const result = await loadConfig(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatIssues(result.errors, file)).toBe(
      `${file}:12:13 services[0].owners: owners should be a list, not the text "U1" — fix: write a list: [U1]`,
    );
  });
});

describe('parseConfig on anything', () => {
  it('never throws, and places every issue on a line of the file', () => {
    // Config-shaped noise: the real keys with arbitrary values reach the lenient checks.
    const keys = fc.constantFrom(
      'environments',
      'services',
      'groups',
      'admins',
      'autoDeploy',
      'name',
      'order',
      'driver',
      'options',
      'owners',
      'environment',
      'service',
      'freeze',
      'cron',
      'token',
      'people',
      'slack',
      'teams',
      'direct',
      'channel',
      'channels',
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(keys, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(keys, value, { maxKeys: 5 }), (doc) => {
        const text = stringify(doc);
        const result = parseConfig(text, { driverSchemas: fakeSchemas });
        if (result.ok) return;
        const lineCount = text.split('\n').length;
        for (const issue of result.errors) {
          expect(issue.line).toBeGreaterThanOrEqual(1);
          expect(issue.line).toBeLessThanOrEqual(lineCount);
          expect(issue.message).not.toBe('');
          expect(issue.fix).not.toBe('');
        }
      }),
      { numRuns: 300 },
    );
  });
});
