import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { commandBinding, settingsFor, tempDir } from '../../../../test/support/engine-harness.js';
import { type App, createApp } from '../../../app.js';
import { Config } from '../../../config/schema.js';
import { createLogger } from '../../../core/logger.js';
import { sha256Signature } from '../../../http/credentials.js';
import { createHttpServer, type HttpServer } from '../../../http/server.js';
import { buildHookRoute } from '../index.js';

export const SECRET = 'test-webhook-secret';

/**
 * Previews for feature branches, staging for `main` of web and for every `v*` tag, production
 * (protected, one QA approval) for web's `release-*` tags. Staging's deployers do not include
 * the CI identity: the autoDeploy rules are what let builds through.
 */
export function hookConfig(stateDir: string, options: { ms?: number; services?: string[] } = {}) {
  const binding = commandBinding(stateDir, options.ms ?? 30);
  const names = options.services ?? ['web', 'api'];
  return Config.parse({
    groups: { devs: ['U-DEV1'], qa: ['U-QA1'] },
    environments: [
      { name: 'preview', order: 0 },
      { name: 'staging', order: 1, deployers: ['@devs'] },
      { name: 'production', order: 2, protected: true, approvals: { required: 1, from: ['@qa'] } },
    ],
    services: names.map((name) => ({
      name,
      image: `registry.test/${name}`,
      owners: ['U-DEV1'],
      driver: binding,
      environments:
        name === 'web'
          ? { preview: {}, staging: {}, production: {} }
          : { preview: {}, staging: {} },
    })),
    autoDeploy: [
      { type: 'branch', pattern: 'feature/**', environment: 'preview' },
      { service: 'web', type: 'branch', pattern: 'main', environment: 'preview' },
      { service: 'web', type: 'branch', pattern: 'main', environment: 'staging' },
      { type: 'tag', pattern: 'v*', environment: 'staging' },
      { service: 'web', type: 'tag', pattern: 'release-*', environment: 'production' },
    ],
    engine: { lease: '5s', pollInterval: '100ms' },
  });
}

export interface HookServer {
  app: App;
  http: HttpServer;
  url: string;
  stateDir: string;
  post(body: string, headers?: Record<string, string>): Promise<HookAnswer>;
  close(): Promise<void>;
}

export interface HookAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The real app (SQLite, the command driver) behind a real HTTP server whose only extra route is
 * the build hook, as src/app.ts would add it. The engine only runs deployments when `start`.
 */
export async function startHookServer(
  options: {
    secret?: string | undefined;
    start?: boolean;
    ms?: number;
    services?: string[];
    now?: () => Date;
  } = {},
): Promise<HookServer> {
  const dir = tempDir('slipway-build-hook-');
  const stateDir = join(dir, 'targets');
  const config = hookConfig(stateDir, options);
  const log = createLogger({ level: 'silent' });
  const app = await createApp({ config, settings: settingsFor(dir), log });
  const secret = 'secret' in options ? options.secret : SECRET;
  const route = buildHookRoute({ engine: app.engine, config, secret, log, now: options.now });
  const http = createHttpServer({ engine: app.engine, store: app.store, log, routes: [route] });
  const port = await http.listen(0, '127.0.0.1');
  if (options.start) await app.start();
  const url = `http://127.0.0.1:${port}/hooks/build`;
  return {
    app,
    http,
    url,
    stateDir,
    post: (body, headers) => post(url, body, headers),
    async close() {
      await http.close();
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function post(
  url: string,
  body: string,
  headers: Record<string, string> = signed(body),
): Promise<HookAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Headers of a signed JSON body. */
export function signed(body: string, secret = SECRET): Record<string, string> {
  return { 'x-slipway-signature': sha256Signature(secret, body) };
}

/** A build body as CI sends it, timestamped now unless told. */
export function buildBody(fields: Record<string, unknown>): string {
  return JSON.stringify({ timestamp: Math.floor(Date.now() / 1000), ...fields });
}
