import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
import { createLocalSlack, type LocalSlack } from '../../src/local-slack/index.js';
import { scenarioConfigInput, settingsFor, tempDir } from '../support/engine-harness.js';
import {
  ROOT,
  type ServerProcess,
  startServer,
  stopServerAndRemove,
} from '../support/processes.js';
import { eventually } from '../support/slack-harness.js';

/**
 * `slipway serve` with the local Slack: someone the config does not name deploys from Slack, and
 * the name Slack gives for them shows in `slipway history` and in the API, where it used to be
 * their id. The CLI runs without any Slack setting: it reads the name from the database.
 */
let server: ServerProcess | null = null;
let slack: LocalSlack | null = null;
let dir: string | null = null;
afterEach(async () => {
  await stopServerAndRemove(server, dir);
  await slack?.stop();
  server = null;
  slack = null;
  dir = null;
});

const ANA = 'U0API0001';

function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'src/cli/index.ts'), ...args],
    {
      cwd: ROOT,
      env: { ...withoutSlack(process.env), SLIPWAY_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    out += String(chunk);
  });
  // 'close', not 'exit': by then everything it printed has been read.
  return once(child, 'close').then(([code]) => ({ code: code as number | null, out }));
}

function withoutSlack(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('SLACK_')));
}

describe('people named outside Slack', () => {
  it('shows the name of whoever deployed from Slack in slipway history and the API', async () => {
    dir = tempDir('slipway-people-');
    const scenario = scenarioConfigInput(join(dir, 'targets'), { ms: 200 });
    // Anyone may deploy to staging, so the person deploying is named nowhere in the config: the
    // name can only come from their slash command.
    const input = {
      ...scenario,
      environments: scenario.environments.map((e) =>
        e.name === 'staging' ? { ...e, deployers: ['*'] } : e,
      ),
    };
    const configPath = join(dir, 'slipway.yaml');
    writeFileSync(configPath, JSON.stringify(input, null, 2));
    slack = createLocalSlack({
      channels: [{ id: 'C-WEB', name: 'web' }],
      users: [{ id: ANA, name: 'Ana Lima', realName: 'Ana Beatriz Lima' }],
    });
    const { apiUrl } = await slack.start();
    const store = {
      SLIPWAY_CONFIG: configPath,
      SLIPWAY_DATABASE_URL: settingsFor(dir).databaseUrl,
    };
    server = await startServer({
      ...store,
      SLIPWAY_DATA_DIR: dir,
      SLACK_BOT_TOKEN: slack.config.botToken,
      SLACK_SIGNING_SECRET: slack.config.signingSecret,
      SLACK_API_URL: apiUrl,
    });
    const base = `http://127.0.0.1:${server.port}`;
    slack.setDelivery({ mode: 'http', requestUrl: `${base}/slack/events` });

    const delivery = await slack.slashCommand({
      user: ANA,
      channel: 'C-WEB',
      text: 'web 1.4.2 to staging',
    });
    expect(delivery.status).toBe(200);
    const list = await eventually(async () => {
      const body = (await (await fetch(`${base}/api/deployments?service=web`)).json()) as {
        deployments: Deployment[];
        people: Record<string, string>;
      };
      return body.people[ANA] ? body : undefined;
    });
    // Asked once, for the person who acted, never for the config's test ids.
    expect(slack.calls('users.info').map((c) => c.ok)).toEqual([true]);
    const [deployment] = list.deployments;
    if (!deployment) throw new Error('no deployment');
    expect(deployment.requestedBy).toBe(ANA);

    const details = (await (await fetch(`${base}/api/deployments/${deployment.id}`)).json()) as {
      deployment: Deployment;
      people: Record<string, string>;
    };
    expect(details.people).toEqual({ [ANA]: 'Ana Lima' });
    expect(details.deployment.requestedBy).toBe(ANA);

    const history = await cli(['history', 'web'], store);
    expect(history.code).toBe(0);
    const [header = '', row = ''] = history.out.trimEnd().split('\n');
    expect(row.startsWith(deployment.id)).toBe(true);
    expect(row.slice(header.indexOf('BY'))).toMatch(/^Ana Lima( |$)/);
    expect(history.out).not.toContain(ANA);
  }, 60_000);
});
