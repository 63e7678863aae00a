import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTestDir, settingsFor, tempDir } from '../../../test/support/engine-harness.js';
import { type App, createApp } from '../../app.js';
import { createLogger } from '../../core/logger.js';
import { sha256Signature } from '../../http/credentials.js';
import { buildBody, hookConfig } from './test-support/hook-server.js';

let app: App | null = null;
let dir = '';
afterEach(async () => {
  await app?.stop();
  app = null;
  await removeTestDir(dir);
});

/** src/app.ts mounts the hook on the server it builds, keyed by SLIPWAY_WEBHOOK_SECRET. */
async function serve(secret: string | undefined): Promise<string> {
  dir = tempDir('slipway-app-hook-');
  const settings = settingsFor(dir);
  app = await createApp({
    config: hookConfig(join(dir, 'targets')),
    settings: { ...settings, integrations: { ...settings.integrations, webhookSecret: secret } },
    log: createLogger({ level: 'silent' }),
  });
  const port = await app.http.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${port}/hooks/build`;
}

describe('the build hook in the app', () => {
  it('accepts a signed build on the server src/app.ts builds', async () => {
    const url = await serve('app-secret');
    const body = buildBody({
      project: 'web',
      image: 'registry.test/web:abc123',
      type: 'branch',
      target: 'feature/x',
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-slipway-signature': sha256Signature('app-secret', body),
      },
      body,
    });
    expect(res.status).toBe(202);
    const deployments = (await app?.store.listDeployments({ service: 'web' })) ?? [];
    expect(deployments.map((d) => [d.environment, d.version, d.ref])).toEqual([
      ['preview', 'abc123', { type: 'branch', name: 'feature/x' }],
    ]);
  });

  it('answers 503 saying what to set when no secret is configured', async () => {
    const url = await serve(undefined);
    const res = await fetch(url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(JSON.stringify(await res.json())).toContain('SLIPWAY_WEBHOOK_SECRET');
  });
});
