import { describe, expect, it } from 'vitest';
import { type ConfigIssue, formatIssues, parseConfig } from './load.js';

/** Lines 1–11; each case adds its digest below. */
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

describe('dora.digest in slipway.yaml', () => {
  it('is off unless configured, and fills in Monday 09:00 UTC', () => {
    const without = parse([]);
    if (!without.ok) throw new Error(formatIssues(without.errors));
    expect(without.config.dora).toEqual({});
    const result = parse(['dora:', '  digest:', '    channel: C0DORA0001']);
    if (!result.ok) throw new Error(formatIssues(result.errors));
    expect(result.config.dora.digest).toEqual({
      channel: 'C0DORA0001',
      day: 'monday',
      time: '09:00',
      timezone: 'UTC',
    });
  });

  it('takes a Teams channel, a day, a time, a zone and an environment', () => {
    const result = parse([
      'dora:',
      '  digest:',
      '    channel: "teams:19:dora@thread.tacv2"',
      '    day: friday',
      '    time: "16:30"',
      '    timezone: Europe/Berlin',
      '    environment: staging',
    ]);
    if (!result.ok) throw new Error(formatIssues(result.errors));
    expect(result.config.dora.digest).toEqual({
      channel: 'teams:19:dora@thread.tacv2',
      day: 'friday',
      time: '16:30',
      timezone: 'Europe/Berlin',
      environment: 'staging',
    });
  });

  it.each([
    {
      name: 'a Teams conversation without its prefix',
      line: '    channel: "19:dora@thread.tacv2"',
      path: 'dora.digest.channel',
      fix: 'write "teams:19:dora@thread.tacv2"',
    },
    {
      name: 'a day that is not one',
      line: '    day: mondays',
      path: 'dora.digest.day',
      fix: '"monday"',
    },
    {
      name: 'a time on a 12-hour clock',
      line: '    time: "9am"',
      path: 'dora.digest.time',
      fix: '24-hour clock',
    },
    {
      name: 'a time zone that is not one',
      line: '    timezone: Europe/Berlim',
      path: 'dora.digest.timezone',
      fix: 'IANA time zone',
    },
    {
      name: 'an environment that is not defined',
      line: '    environment: prod',
      path: 'dora.digest.environment',
      fix: 'use a defined environment',
    },
  ])('refuses $name, on its line, saying how to fix it', ({ line, path, fix }) => {
    const lines = ['dora:', '  digest:', '    channel: C0DORA0001', line];
    const issue = only(line.includes('channel:') ? [...lines.slice(0, 2), line] : lines);
    expect(issue.path).toBe(path);
    expect(issue.line).toBe(line.includes('channel:') ? 14 : 15);
    expect(issue.fix).toContain(fix);
  });

  it('refuses a digest without a channel', () => {
    const issue = only(['dora:', '  digest:', '    day: monday']);
    expect(issue.path).toBe('dora.digest.channel');
  });
});
