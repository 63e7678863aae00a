import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import type { DeployRequest } from '../../src/engine/requests.js';
import {
  type Harness,
  readRuns,
  removeTestDir,
  type ScenarioOptions,
  scenarioConfig,
  settingsFor,
  tempDir,
  waitFinal,
} from './engine-harness.js';

/**
 * The scenario app (engine-harness.ts: staging, perf with review, protected production with QA
 * approval, a frozen environment; web and api on the command driver) serving its dashboard on
 * loopback as `slipway dev` does: whoever uses this machine picks who to be.
 */
export interface DashboardHarness extends Harness {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Signs a cookie jar in as `actor` (a person or an id the config names) at /auth/dev. */
  signIn(actor: string): Promise<Browser>;
  /** Nobody signed in. */
  anonymous(): Browser;
  /** The engine's request, a refusal failing the test. */
  request(request: DeployRequest): Promise<string>;
}

/** A minimal cookie-keeping client for one person, as a browser would be. */
export interface Browser {
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** A form post from the dashboard's own origin, with the session's form token unless given. */
  post(
    path: string,
    fields: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** The form token pages give this session (read from a page's hidden field). */
  csrf(): Promise<string>;
}

export async function startDashboard(
  options: ScenarioOptions & { databaseUrl?: string; start?: boolean; devLogin?: boolean } = {},
): Promise<DashboardHarness> {
  const dir = tempDir();
  const stateDir = join(dir, 'targets');
  const config = scenarioConfig(stateDir, options);
  const settings = settingsFor(dir, options.databaseUrl);
  const app = await createApp({
    config,
    settings: {
      ...settings,
      dashboard: {
        publicUrl: undefined,
        oidc: null,
        sessionSecrets: [],
        sessionLifetimeMs: 3_600_000,
        devLogin: options.devLogin ?? true,
      },
    },
    log: createLogger({ level: 'silent' }),
  });
  if (options.start ?? true) app.engine.start();
  const port = await app.http.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const browser = (cookie: string | null): Browser => {
    const jar = { cookie };
    const send = async (path: string, init: RequestInit) => {
      const res = await fetch(`${url}${path}`, {
        redirect: 'manual',
        ...init,
        headers: { ...(jar.cookie ? { cookie: jar.cookie } : {}), ...(init.headers as object) },
      });
      return res;
    };
    const self: Browser = {
      get: (path, headers = {}) => send(path, { headers: { accept: 'text/html', ...headers } }),
      async post(path, fields, headers = {}) {
        const token = fields._csrf ?? (jar.cookie ? await self.csrf() : '');
        return send(path, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            origin: url,
            accept: 'text/html',
            ...headers,
          },
          body: new URLSearchParams({ _csrf: token, ...fields }).toString(),
        });
      },
      async csrf() {
        const page = await (await self.get('/auth/dev')).text();
        const m = /name="_csrf" value="([^"]+)"/.exec(page);
        if (!m?.[1]) throw new Error('no form token on /auth/dev: not signed in?');
        return m[1];
      },
    };
    return self;
  };
  return {
    app,
    dir,
    stateDir,
    url,
    runs: () => readRuns(stateDir),
    waitFinal: (id, timeoutMs) => waitFinal(app, id, timeoutMs),
    async signIn(actor) {
      const res = await fetch(`${url}/auth/dev`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
        body: new URLSearchParams({ person: actor, return: '/' }).toString(),
      });
      const cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      if (res.status !== 303 || !cookie)
        throw new Error(`could not sign in as ${actor}: ${res.status}`);
      return browser(cookie);
    },
    anonymous: () => browser(null),
    async request(request) {
      const r = await app.engine.request(request);
      if (!r.ok) throw new Error(r.reason);
      return r.deployment.id;
    },
    async close() {
      await app.stop();
      await removeTestDir(dir);
    },
  };
}
