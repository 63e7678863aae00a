import { describe, expect, it } from 'vitest';
import { linkTemplateProblem } from './links.js';
import { type ConfigIssue, parseConfig } from './load.js';

/** Lines 1–9; the cases append below, so their line numbers are easy to count. */
const BASE = [
  'environments:', // 1
  '  - name: staging', // 2
  '    order: 1', // 3
  'services:', // 4
  '  - name: web', // 5
  '    driver:', // 6
  '      driver: command', // 7
  '      options:', // 8
  "        deploy: [./deploy.sh, '{version}']", // 9
];

function refused(lines: string[]): ConfigIssue[] {
  const result = parseConfig(lines.join('\n'));
  if (result.ok) throw new Error('expected the config to be refused');
  return result.errors;
}

describe('links in slipway.yaml', () => {
  it('loads top-level templates and a service’s own, and grafana settings', () => {
    const result = parseConfig(
      [
        ...BASE,
        '    links:', // 10
        "      grafana: 'https://grafana.example.com/d/web?from={from}&to={to}&var-env={environment}'",
        '    grafana: { dashboardUID: web-uid, panelId: 4 }',
        'links:',
        '  logs: \'https://grafana.example.com/explore?left={"queries":[{"expr":"{app=\\"{service}\\"}"}],"range":{"from":"{from}","to":"{to}"}}\'',
        'grafana:',
        '  dashboardUID: ops',
      ].join('\n'),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.config.links).toEqual({
      logs: expect.stringContaining('explore?left='),
    });
    expect(result.config.grafana).toEqual({ dashboardUID: 'ops' });
    expect(result.config.services[0]?.links).toEqual({
      grafana: 'https://grafana.example.com/d/web?from={from}&to={to}&var-env={environment}',
    });
    expect(result.config.services[0]?.grafana).toEqual({ dashboardUID: 'web-uid', panelId: 4 });
  });

  it('refuses an unknown placeholder on its line, naming the ones there are', () => {
    const [issue, ...more] = refused([
      ...BASE,
      'links:', // 10
      "  grafana: 'https://grafana.example.com/d/web?from={start}&to={to}'", // 11
    ]);
    expect(more).toEqual([]);
    expect(issue).toMatchObject({
      path: 'links.grafana',
      line: 11,
      message: '{start} is not a placeholder Slipway knows',
      fix: 'use {service} {environment} {version} {deploymentId} {from} {to}',
    });
  });

  it('refuses a misspelt placeholder in a service’s links with a suggestion', () => {
    const [issue] = refused([
      ...BASE,
      '    links:', // 10
      "      logs: 'https://loki.example.com/?q={servce}'", // 11
    ]);
    expect(issue).toMatchObject({
      path: 'services[0].links.logs',
      line: 11,
      message: '{servce} is not a placeholder Slipway knows (did you mean "service"?)',
    });
  });

  // Grafana's own variables, as a data link writes them: `${__from}`.
  const grafanaFrom = `$${'{'}__from}`;

  it("says what to write instead of Grafana's data link variables and of double braces", () => {
    expect(linkTemplateProblem(`https://g.example/d/x?from=${grafanaFrom}`)).toEqual({
      message: `${grafanaFrom} is Grafana's data link syntax, which Slipway does not fill`,
      fix: 'Slipway fills {service} {environment} {version} {deploymentId} {from} {to}: e.g. from={from}&to={to}',
    });
    expect(linkTemplateProblem('https://g.example/d/x?var-app={{ service }}')?.message).toBe(
      '{{ service }} is template syntax Slipway does not read',
    );
  });

  it('refuses what is not a web address, and a bad link name or grafana setting', () => {
    const issues = refused([
      ...BASE,
      'links:', // 10
      "  grafana: 'grafana.example.com/d/web?from={from}'", // 11
      "  Logs: 'https://loki.example.com/'", // 12
      'grafana:', // 13
      '  panelId: 3', // 14
    ]);
    expect(issues.map((i) => [i.line, i.message, i.fix])).toEqual(
      expect.arrayContaining([
        [
          11,
          '"grafana.example.com/d/web?from={from}" is not a web address',
          'write the whole address, starting with https:// (or http://)',
        ],
        [12, '"Logs" is not a valid name here', expect.stringContaining('lowercase letters')],
        [
          14,
          'panelId is given without dashboardUID',
          'add the dashboardUID of the dashboard the panel is on',
        ],
      ]),
    );
    expect(issues).toHaveLength(3);
  });

  it('leaves braces that are not around a bare name alone (Explore’s JSON, LogQL matchers)', () => {
    expect(
      linkTemplateProblem(
        'https://g.example/explore?left={"queries":[{"expr":"{app=\\"{service}\\"}"}]}',
      ),
    ).toBeNull();
  });
});
