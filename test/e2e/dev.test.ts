import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exited, ROOT } from '../support/processes.js';

/**
 * `slipway dev` as the README tells a newcomer to run it: Slipway against the local Slack on
 * the example config. A command typed on the page deploys, and headless Chromium shows the
 * deployment message in #web.
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

  it('serves the local Slack page and deploys a command typed on it', async () => {
    // .ci/run installs Chromium; a machine without it fails here rather than skipping.
    expect(CHROMIUM, 'Chromium is needed for page tests: apt-get install chromium').toBeDefined();
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-dev-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
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
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    const slackUrl = await waitFor(
      () => /Local Slack: +(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1],
      30_000,
      () => output,
    );

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
      () => output,
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
    const name = /People: .*?([^,]+) \(U0WEB0001\)/.exec(output)?.[1]?.trim();
    expect(name).toMatch(/^\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+$/u);
    const slipwayUrl = /Slipway: +(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    await waitFor(
      async () => {
        const answer = await fetch(`${slipwayUrl}/api/deployments?service=web`);
        const { people } = (await answer.json()) as { people: Record<string, string> };
        return people.U0WEB0001 === name ? people : undefined;
      },
      15_000,
      () => output,
    );
  }, 120_000);
});

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
