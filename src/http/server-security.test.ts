import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { scenarioConfig, settingsFor, tempDir } from '../../test/support/engine-harness.js';
import { type App, createApp } from '../app.js';
import { createLogger } from '../core/logger.js';
import { isLoopback } from './api-access.js';

let app: App | null = null;
afterEach(async () => {
  await app?.stop();
  app = null;
});

/** An app whose log lines are kept, parsed, from debug up. */
async function startApp(apiToken: string | undefined) {
  const lines: Array<Record<string, unknown>> = [];
  const dir = tempDir();
  app = await createApp({
    config: scenarioConfig(dir),
    settings: { ...settingsFor(dir), apiToken },
    log: createLogger(
      { level: 'debug' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    ),
  });
  return { app, lines };
}

async function get(base: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
}

/** An address of this machine that is not loopback, when it has one. */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('a malformed %-escape in the path', () => {
  it('is a 400 that says why, after the token check, logged below error and without a stack', async () => {
    const { app, lines } = await startApp('sekret-token');
    const port = await app.http.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    expect((await get(base, '/api/deployments/%E0%A4%A')).status).toBe(401);
    const bad = await get(base, '/api/deployments/%E0%A4%A', {
      authorization: 'Bearer sekret-token',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe(
      'The path segment "%E0%A4%A" has a malformed %-escape: escape each byte as % and two hex digits, in UTF-8.',
    );
    const about = lines.filter((l) => String(l.path ?? '').includes('%E0%A4%A'));
    expect(about.length).toBeGreaterThan(0);
    for (const line of about) {
      expect(line.level).toBeLessThanOrEqual(30);
      expect(JSON.stringify(line)).not.toContain('stack');
    }
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});

/** Sends one request line as given (fetch would normalize it) and returns the status line. */
function rawRequest(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', (chunk) => {
      answer += String(chunk);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
  });
}

describe('a request target URL cannot read', () => {
  it('is a 400, not a 500', async () => {
    const { app, lines } = await startApp('sekret-token');
    const port = await app.http.listen(0, '127.0.0.1');
    expect(await rawRequest(port, 'http://[::1/')).toBe('HTTP/1.1 400 Bad Request');
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});

describe('/api without SLIPWAY_API_TOKEN', () => {
  it('says at start that only this machine is answered', async () => {
    const { app, lines } = await startApp(undefined);
    await app.http.listen(0, '127.0.0.1');
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'SLIPWAY_API_TOKEN is not set: /api answers only clients on this machine (loopback)',
      }),
    );
  });

  it('answers loopback clients', async () => {
    const { app } = await startApp(undefined);
    const port = await app.http.listen(0, '0.0.0.0');
    expect((await get(`http://127.0.0.1:${port}`, '/api/deployments')).status).toBe(200);
    expect((await get(`http://127.0.0.2:${port}`, '/api/deployments')).status).toBe(200);
  });

  // A client from another machine is one reaching a non-loopback address of this one.
  it.skipIf(!outside)('refuses other clients with 403, saying to set the token', async () => {
    const { app } = await startApp(undefined);
    const port = await app.http.listen(0, '0.0.0.0');
    const refused = await get(`http://${outside}:${port}`, '/api/deployments');
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('set SLIPWAY_API_TOKEN');
    // Probes and webhooks are not the API: they answer as before.
    expect((await get(`http://${outside}:${port}`, '/healthz')).status).toBe(200);
  });

  it('knows loopback in IPv4, IPv6 and IPv4-mapped IPv6', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopback(a), a).toBe(true);
    }
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '192.0.2.2', '::2', '1270.0.0.1', undefined]) {
      expect(isLoopback(a), String(a)).toBe(false);
    }
  });
});
