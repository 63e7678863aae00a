import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/engine-harness.js';
import {
  exited,
  ROOT,
  type ServerProcess,
  startServer,
  stopServerAndRemove,
} from '../support/processes.js';

/**
 * `slipway serve` as a newcomer starts it, with nothing configured and its output piped (no
 * terminal): every line is JSON for a log collector, one of them says what is on and what is
 * off with the variable to set, and no secret it was given shows anywhere.
 */
let server: ServerProcess | null = null;
let dir: string | null = null;
afterEach(async () => {
  await stopServerAndRemove(server, dir);
  server = null;
  dir = null;
});

const WEBHOOK_SECRET = 'e2e-webhook-secret-value';

describe('slipway serve start banner', () => {
  it('prints JSON lines with the banner, and /slack/events says what to set', async () => {
    dir = tempDir('slipway-banner-');
    server = await startServer(
      {
        SLIPWAY_DATA_DIR: dir,
        SLIPWAY_DATABASE_URL: `sqlite://${join(dir, 'slipway.db')}`,
        // Nothing inherited from the shell that runs the tests turns an integration on.
        SLACK_BOT_TOKEN: '',
        SLACK_SIGNING_SECRET: '',
        SLACK_APP_TOKEN: '',
        SLIPWAY_API_TOKEN: '',
        SLIPWAY_ALERTMANAGER_TOKEN: '',
        GITHUB_WEBHOOK_SECRET: '',
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
        SLIPWAY_LOG_FORMAT: '',
        SLIPWAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
      20_000,
      { args: ['--config', resolve(ROOT, 'examples/slipway.yaml')] },
    );
    const { port } = server;

    const answer = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'command=%2Fdeploy&text=status',
    });
    expect(answer.status).toBe(503);
    const body = (await answer.json()) as { error: string; message: string };
    expect(body.error).toBe('not_configured');
    expect(body.message).toMatch(/^Slack is not configured on this Slipway: set SLACK_BOT_TOKEN/);
    expect(body.message).toContain('SLACK_SIGNING_SECRET');
    expect(body.message).toContain('SLACK_APP_TOKEN for Socket Mode');

    server.child.kill('SIGTERM');
    expect(await exited(server.child)).toBe(0);
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '');
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const serving = entries.find((e) => e.msg === 'slipway is serving');
    expect(serving).toMatchObject({
      port,
      url: `http://localhost:${port}`,
      config: resolve(ROOT, 'examples/slipway.yaml'),
      database: `${join(dir, 'slipway.db')} (SQLite)`,
      drivers: { command: 'web, api' },
      features: {
        Slack: expect.stringMatching(/^off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET/),
        '/hooks/build': 'on: builds from CI, checked with SLIPWAY_WEBHOOK_SECRET',
        '/hooks/github': expect.stringMatching(/^off: set GITHUB_WEBHOOK_SECRET/),
        '/hooks/alertmanager': expect.stringMatching(/^off: set SLIPWAY_ALERTMANAGER_TOKEN/),
        '/api': expect.stringMatching(/^local: .*set SLIPWAY_API_TOKEN/),
        tracing: 'off: set OTEL_EXPORTER_OTLP_ENDPOINT',
      },
    });
    expect(entries.filter((e) => e.msg === 'slipway is serving')).toHaveLength(1);
    expect(server.output()).not.toContain(WEBHOOK_SECRET);
  });
});
