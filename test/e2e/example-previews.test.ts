import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { formatIssues, loadConfig } from '../../src/config/index.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { driverOptionSchemas } from '../../src/drivers/index.js';
import { removeTestDir, settingsFor, tempDir } from '../support/engine-harness.js';

/**
 * The example config's previews, with its own demo scripts: one preview per branch, each with
 * its address, and closing a branch's review removes that preview and leaves the other.
 */
const EXAMPLE = resolve(import.meta.dirname, '../../examples/slipway.yaml');

let app: App | undefined;
let dir: string | undefined;
afterEach(async () => {
  await app?.stop();
  if (dir) await removeTestDir(dir);
});

async function start(): Promise<{ app: App; demo: string }> {
  dir = tempDir('slipway-previews-');
  const demo = join(dir, 'demo');
  const loaded = await loadConfig(EXAMPLE, { driverSchemas: driverOptionSchemas() });
  if (!loaded.ok) throw new Error(formatIssues(loaded.errors, EXAMPLE));
  const config = loaded.config;
  // The demo scripts keep their "live" files under DEMO_DIR; no waiting between steps.
  for (const service of config.services) {
    if (!service.driver) continue;
    service.driver.options = {
      ...service.driver.options,
      env: { DEMO_DELAY: '0', DEMO_DIR: demo },
    };
  }
  const started = await createApp({
    config: { ...config, engine: { ...config.engine, pollInterval: '100ms' } },
    settings: settingsFor(dir),
    log: createLogger({ level: 'silent' }),
  });
  started.engine.start();
  app = started;
  return { app: started, demo };
}

async function previewOf(a: App, branch: string): Promise<Deployment> {
  const r = await a.engine.request({
    actor: 'U0WEB0001',
    source: 'webhook',
    channel: null,
    kind: 'deploy',
    service: 'web',
    environment: 'preview',
    version: `1.0.0-${branch.replace('/', '-')}`,
    ref: { type: 'branch', name: branch },
  });
  if (!r.ok) throw new Error(r.reason);
  return a.engine.waitFor(r.deployment.id);
}

describe('the example config: previews per branch', () => {
  it('keeps one preview per branch and removes only the closed one', async () => {
    const { app: a, demo } = await start();
    const first = await previewOf(a, 'feature/a');
    const second = await previewOf(a, 'feature/b');
    expect([first.state, second.state]).toEqual(['succeeded', 'succeeded']);
    const files = () => readdirSync(demo).filter((f) => f.startsWith('web-preview-'));
    expect(files()).toHaveLength(2);
    const details = await a.engine.details(first.id);
    expect((details?.deployment.driverRef as { url?: string } | null)?.url).toMatch(
      /^https:\/\/feature-a-[0-9a-f]{8}\.web\.preview\.example\.com$/,
    );

    const closed = await a.engine.closeReview({
      deploymentId: first.id,
      actor: 'U0WEB0002',
      channel: null,
      source: 'cli',
    });
    expect(closed.ok, closed.ok ? '' : closed.reason).toBe(true);
    expect(files()).toHaveLength(1);
    expect(existsSync(join(demo, files()[0] ?? ''))).toBe(true);
    expect(files()[0]).toContain('feature-b');
  });
});
