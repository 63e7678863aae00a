import { describe, expect, it } from 'vitest';
import { Config } from '../../config/schema.js';
import { deploymentLinks } from '../../integrations/links.js';
import { renderBlocks } from '../slack/blocks.js';
import { deployment } from '../test-support/deployments.js';
import { deploymentView } from './index.js';

const config = Config.parse({
  environments: [{ name: 'staging', order: 1 }],
  services: [
    {
      name: 'web',
      links: { grafana: 'https://grafana.example.com/d/web-uid/web?from={from}&to={to}' },
    },
  ],
  links: {
    grafana: 'https://grafana.example.com/d/ops/overview?from={from}&to={to}',
    logs: 'https://grafana.example.com/explore?left={"queries":[{"expr":"{app=\\"{service}\\",env=\\"{environment}\\"} |= \\"{version}\\""}],"range":{"from":"{from}","to":"{to}"}}',
    'deploy-record': 'https://audit.example.com/deployments/{deploymentId}',
  },
});

const startedAt = new Date('2026-03-01T10:00:00.000Z'); // 1772359200000
const finishedAt = new Date('2026-03-01T10:02:30.000Z'); // 1772359350000

/** The card's buttons as Slack shows them: the block a person clicks. */
function buttons(view: ReturnType<typeof deploymentView>) {
  const block = renderBlocks(view).blocks.find((b) => b.type === 'actions');
  return block && 'elements' in block
    ? block.elements.map((e) => ('url' in e ? { text: e.text, url: e.url } : e.action_id))
    : [];
}

describe('the deployment card with the config’s links', () => {
  it('while it runs: five minutes before its start to now, its values encoded', () => {
    const d = deployment({ state: 'running', version: '1.4.2+build 7', startedAt });
    const view = deploymentView(d, { links: deploymentLinks(config, d) });
    expect(buttons(view)).toMatchInlineSnapshot(`
      [
        "cancel",
        {
          "text": {
            "emoji": true,
            "text": "Grafana",
            "type": "plain_text",
          },
          "url": "https://grafana.example.com/d/web-uid/web?from=1772358900000&to=now",
        },
        {
          "text": {
            "emoji": true,
            "text": "Logs",
            "type": "plain_text",
          },
          "url": "https://grafana.example.com/explore?left={"queries":[{"expr":"{app=\\"web\\",env=\\"staging\\"} |= \\"1.4.2%2Bbuild%207\\""}],"range":{"from":"1772358900000","to":"now"}}",
        },
        {
          "text": {
            "emoji": true,
            "text": "Deploy record",
            "type": "plain_text",
          },
          "url": "https://audit.example.com/deployments/d-1a2b3c",
        },
      ]
    `);
  });

  it('once it ended: its range closes five minutes after the end, after the driver’s own link', () => {
    const d = deployment({
      state: 'succeeded',
      startedAt,
      finishedAt,
      driverRef: {
        link: { label: 'GitHub run', url: 'https://github.com/acme/web/actions/runs/7' },
      },
    });
    const view = deploymentView(d, { links: deploymentLinks(config, d) });
    expect(view.links).toEqual([
      { label: 'GitHub run', url: 'https://github.com/acme/web/actions/runs/7' },
      {
        label: 'Grafana',
        url: 'https://grafana.example.com/d/web-uid/web?from=1772358900000&to=1772359650000',
      },
      expect.objectContaining({ label: 'Logs' }),
      { label: 'Deploy record', url: 'https://audit.example.com/deployments/d-1a2b3c' },
    ]);
    expect(view.links?.[2]?.url).toContain('"range":{"from":"1772358900000","to":"1772359650000"}');
  });

  it('a service without its own links gets the top-level ones; none configured, none shown', () => {
    const d = deployment({ service: 'api', startedAt });
    expect(deploymentLinks(config, d).map((l) => l.url)[0]).toBe(
      'https://grafana.example.com/d/ops/overview?from=1772358900000&to=now',
    );
    const bare = Config.parse({
      environments: [{ name: 'staging', order: 1 }],
      services: [{ name: 'web' }],
    });
    expect(deploymentView(d, { links: deploymentLinks(bare, d) }).links).toBeUndefined();
  });
});
