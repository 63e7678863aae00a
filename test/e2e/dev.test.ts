import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { PlaygroundSetup } from '../../src/local-teams/playground/index.js';
import { messageActivity } from '../support/playground/activities.js';
import { exited, ROOT } from '../support/processes.js';

/**
 * `slipway dev` as the README tells a newcomer to run it: Slipway against the local Slack on
 * the example config. A command typed on the page deploys, and headless Chromium shows the
 * deployment message in #web. With `--teams`, Microsoft's Agents Playground beside it: a mention
 * there deploys, and the deployment's card comes back into the Playground's channel.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => {
  try {
    execFileSync(path, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

describe('slipway dev', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function tempDataDir(): string {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-dev-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    return dataDir;
  }

  /** `slipway dev` on the example config, on ports the system picks; stopped after the test. */
  function startDev(
    args: string[],
    dataDir: string,
  ): { child: ChildProcess; output: () => string } {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        resolve(ROOT, 'src/cli/index.ts'),
        'dev',
        '--config',
        'examples/slipway.yaml',
        '--port',
        '0',
        '--slack-port',
        '0',
        ...args,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, SLIPWAY_DATA_DIR: dataDir, SLIPWAY_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exited(child);
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    return { child, output: () => output };
  }

  it('serves the local Slack page and deploys a command typed on it', async () => {
    // .ci/run installs Chromium; a machine without it fails here rather than skipping.
    expect(CHROMIUM, 'Chromium is needed for page tests: apt-get install chromium').toBeDefined();
    const dataDir = tempDataDir();
    const dev = startDev([], dataDir);
    const output = dev.output;
    const slackUrl = await waitFor(
      () => /Local Slack: +(http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1],
      30_000,
      output,
    );
    expect(output()).not.toContain('Teams:');
    const page = await fetch(`${slackUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>local Slack');
    const sent = await fetch(`${slackUrl}/_page/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        user: 'U0WEB0001',
        channel: 'C0WEB',
        text: '/deploy web 1.2.3 to staging',
      }),
    });
    expect(sent.status).toBe(200);
    await waitFor(
      async () => {
        const state = await (await fetch(`${slackUrl}/_state?user=U0WEB0001`)).text();
        return state.includes('web 1.2.3 → staging: deployed') ? state : undefined;
      },
      30_000,
      output,
    );

    const dom = execFileSync(
      CHROMIUM ?? 'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${join(dataDir, 'chromium')}`,
        '--virtual-time-budget=5000',
        '--dump-dom',
        `${slackUrl}/?user=U0WEB0001&channel=C0WEB`,
      ],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    expect(dom).toContain('web 1.2.3 → staging: deployed');
    expect(dom).toContain('asked to deploy web 1.2.3 to staging');

    // The local Slack's people have names, which Slipway learns and the API shows.
    const name = /People: .*?([^,]+) \(U0WEB0001\)/.exec(output())?.[1]?.trim();
    expect(name).toMatch(/^\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+$/u);
    const slipwayUrl = /Slipway: +(http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1];
    await waitFor(
      async () => {
        const answer = await fetch(`${slipwayUrl}/api/deployments?service=web`);
        const { people } = (await answer.json()) as { people: Record<string, string> };
        return people.U0WEB0001 === name ? people : undefined;
      },
      15_000,
      output,
    );
  }, 120_000);

  it('with --teams, runs the Agents Playground beside it: a mention there deploys, and the card comes back', async () => {
    const dataDir = tempDataDir();
    const dev = startDev(['--teams', '--teams-port', '0'], dataDir);
    const output = dev.output;
    const teamsUrl = await waitFor(
      () => /Teams: +(http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1],
      60_000,
      output,
    );
    // The example config names no Teams ids: the overlay says what it assumed.
    expect(output()).toContain(
      'in the deploys channel type "@Slipway deploy web 1.2.3 to staging"',
    );
    expect(output()).toMatch(/Assumed: +No one under people: has a Teams id: .*emil \(U0WEB0001\)/);
    expect(output()).toMatch(/Assumed: +No service posts to a Teams channel: .*web's deployments/);
    expect(output()).toMatch(/Warning: +the Playground listens on every interface/);
    const logFile = /Teams log: +(\S+)/.exec(output())?.[1];
    expect(logFile).toBe(join(dataDir, 'playground', 'playground.log'));
    expect(readFileSync(logFile ?? '', 'utf8')).toContain('Listening on');

    const served = (await (await fetch(`${teamsUrl}/_internal/v1/config`)).json()) as {
      config: PlaygroundConfig;
    };
    const config = served.config;
    expect(config.bot).toEqual({ id: '28:slipway-bot', name: 'Slipway' });
    const people = [config.currentUser, ...config.users];
    // The local Slack's people, who are the Playground's too.
    const slackPeople = /People: +(.*)/.exec(output())?.[1] ?? '';
    const names = [...slackPeople.matchAll(/([^,(]+) \(U0[A-Z0-9]+\)/g)].map((m) =>
      (m[1] ?? '').trim(),
    );
    expect(names).toHaveLength(6);
    expect(people.map((p) => p.name)).toEqual(names);
    expect(config.currentUser.id).toBe('29:ana');
    expect(config.teams[0]?.channels.map((c) => c.name)).toEqual(['General', 'deploys']);

    // What the Playground shows its page: the bot's messages, as they are created and updated.
    const stream = await playgroundStream(teamsUrl);
    cleanups.push(async () => stream.close());

    // Emil (U0WEB0001 in the local Slack) mentions the bot in #deploys, as the page would.
    const setup = setupOf(config);
    const deploys = setup.team.channels[1]?.id ?? '';
    const root = (await (
      await fetch(
        `${teamsUrl}/_conversation/v1/conversations/${encodeURIComponent(deploys)}/messages`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            from: { id: config.currentUser.id },
            text: 'release',
            textFormat: 'plain',
          }),
        },
      )
    ).json()) as { messageId: string };
    const emil = people.find((p) => p.id === '29:emil');
    expect(emil).toBeDefined();
    const serviceUrl = `http://localhost:${new URL(teamsUrl).port}/_connector`;
    const mention = messageActivity(
      setup,
      serviceUrl,
      { key: 'emil', ...(emil as PlaygroundUser) },
      { from: 'emil', chat: 'channel:deploys', text: 'deploy web 1.2.3 to staging' },
      root.messageId,
    );
    const injected = await fetch(`${teamsUrl}/_internal/v1/customActivities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(mention),
    });
    expect(injected.status).toBeLessThan(300);

    // Slipway took it as Emil's, one person on Slack and Teams.
    const slipwayUrl = /Slipway: +(http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1];
    const deployment = await waitFor(
      async () => {
        const answer = await fetch(`${slipwayUrl}/api/deployments?service=web`);
        const { deployments } = (await answer.json()) as {
          deployments: { id: string; version: string; requestedBy: string; channel: string }[];
        };
        return deployments.find((d) => d.version === '1.2.3');
      },
      30_000,
      output,
    );
    expect(deployment).toMatchObject({ requestedBy: 'emil', channel: `teams:${deploys}` });

    // Its card is posted into the Playground's channel, then updated in place once deployed.
    const card = await waitFor(
      () =>
        stream.actions.find(
          (a) =>
            a.action === 'createMessage' &&
            a.message?.from?.id === config.bot.id &&
            JSON.stringify(a.message.attachments).includes('web 1.2.3'),
        ),
      30_000,
      () => `${output()}\nstream: ${JSON.stringify(stream.actions).slice(-3000)}`,
    );
    expect(card.actionConversationId).toBe(deploys);
    expect(card.message?.attachments?.[0]?.contentType).toBe(
      'application/vnd.microsoft.card.adaptive',
    );
    await waitFor(
      () =>
        stream.actions.find(
          (a) =>
            a.action === 'updateMessage' &&
            a.message?.messageId === card.message?.messageId &&
            /deployed/.test(JSON.stringify(a.message?.attachments)),
        ),
      30_000,
      () => `${output()}\nstream: ${JSON.stringify(stream.actions).slice(-3000)}`,
    );

    // SIGTERM stops both: Slipway exits cleanly and nothing runs in the Playground's directory.
    const playgroundDir = join(dataDir, 'playground');
    expect(processesIn(playgroundDir)).toHaveLength(1);
    dev.child.kill('SIGTERM');
    expect(await exited(dev.child)).toBe(0);
    expect(processesIn(playgroundDir)).toEqual([]);
    await expect(fetch(`${teamsUrl}/_internal/v1/config`)).rejects.toThrow();
  }, 180_000);

  it('with --teams, stops Slipway and says why when the Playground cannot start', async () => {
    const dataDir = tempDataDir();
    // Where the Playground's working directory goes, a file: it cannot start there.
    writeFileSync(join(dataDir, 'playground'), '');
    const dev = startDev(['--teams', '--teams-port', '0'], dataDir);
    expect(await exited(dev.child)).toBe(1);
    expect(dev.output()).toContain(
      `The Agents Playground did not start in ${join(dataDir, 'playground')}, so Slipway stopped too:`,
    );
    expect(dev.output()).not.toContain('    at ');
    expect(dev.output()).not.toContain('Teams:');
  }, 60_000);

  it('lists the Teams options in --help', () => {
    const help = execFileSync(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'src/cli/index.ts'), 'dev', '--help'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(help).toMatch(/^ +--teams +also start Microsoft’s Agents Playground/m);
    expect(help).toMatch(/^ +--teams-port <port> +the Playground’s page \(default 56150/m);
    expect(help).toMatch(/^ +--teams-user <person key> +who the Playground’s page acts as/m);
    expect(help).toContain('slipway dev --teams --config examples/slipway.yaml');
  }, 30_000);
});

interface PlaygroundUser {
  id: string;
  name: string;
  aadObjectId: string;
  email: string;
}

interface PlaygroundConfig {
  tenantId: string;
  bot: { id: string; name: string };
  currentUser: PlaygroundUser;
  users: PlaygroundUser[];
  personalChat: { id: string };
  groupChats: { id: string; name: string }[];
  teams: {
    id: string;
    name: string;
    aadGroupId: string;
    channels: { id: string; name: string }[];
  }[];
}

/** What the Playground serves as its config, in the shape its test support's activities read. */
function setupOf(config: PlaygroundConfig): PlaygroundSetup {
  const team = config.teams[0];
  const groupChat = config.groupChats[0];
  if (!team || !groupChat) throw new Error(`no team or group chat in ${JSON.stringify(config)}`);
  const person = (u: PlaygroundUser) => ({ key: u.id.replace(/^29:/, ''), ...u });
  const people = [config.currentUser, ...config.users].map(person);
  return {
    tenantId: config.tenantId,
    bot: config.bot,
    currentUser: person(config.currentUser),
    people: Object.fromEntries(people.map((p) => [p.key, p])),
    team: { id: team.id, name: team.name, aadGroupId: team.aadGroupId, channels: team.channels },
    groupChat,
    personalChat: config.personalChat,
    yaml: '',
  };
}

interface StreamAction {
  action: string;
  actionConversationId: string;
  message?: {
    messageId: string;
    from?: { id: string };
    attachments?: { contentType: string; content: unknown }[];
  };
}

/** The Playground's conversation stream, which its page renders from. */
async function playgroundStream(
  url: string,
): Promise<{ actions: StreamAction[]; close: () => void }> {
  const socket = new WebSocket(
    `${url.replace(/^http/, 'ws')}/_ws_conversation/v1/conversations/stream`,
  );
  const actions: StreamAction[] = [];
  socket.on('message', (data) => {
    actions.push(JSON.parse(String(data)) as StreamAction);
  });
  await new Promise<void>((resolveOpen, reject) => {
    socket.once('open', () => resolveOpen());
    socket.once('error', reject);
  });
  return { actions, close: () => socket.close() };
}

/** Processes whose working directory is `dir` (Linux's /proc). */
function processesIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`) === dir;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  output: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out; slipway dev said:\n${output().slice(-3000)}`);
}
