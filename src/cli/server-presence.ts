import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ACTIVE_STATES, type Deployment } from '../core/deployment.js';
import type { Settings } from '../core/settings.js';
import { parseDatabaseUrl } from '../store/index.js';
import type { Store } from '../store/types.js';

/**
 * Whether a Slipway server will pick up work this CLI only queued (`--no-wait`, an approval,
 * a retry). Without one the deployment waits in the queue with nobody to run it, and nothing
 * says so.
 *
 * SQLite: a server holds `<database>.server` and touches it every 5 s (store/sqlite/server-lock.ts);
 * a file untouched for six beats, or naming a pid gone from this host, is a server that died.
 * Postgres has no such file: a lease held now means a process is running deployments, and
 * otherwise a server claims queued work within its poll interval, so the deployment is watched
 * for `waitMs` and one still queued with its target idle is taken as nobody's.
 */
export async function serverRunning(
  settings: Pick<Settings, 'databaseUrl'>,
  store: Store,
  deployment: Deployment,
  waitMs = 3_000,
): Promise<boolean> {
  const location = parseDatabaseUrl(settings.databaseUrl);
  if (location.kind === 'sqlite')
    return location.path !== ':memory:' && sqliteServerAlive(location.path);
  const active = await store.listDeployments({ states: [...ACTIVE_STATES], limit: 500 });
  const now = Date.now();
  if (active.some((d) => d.leaseOwner && (d.leaseExpiresAt?.getTime() ?? 0) > now)) return true;
  const deadline = now + waitMs;
  for (;;) {
    const current = await store.getDeployment(deployment.id);
    if (current?.state !== 'queued') return true;
    if (Date.now() >= deadline) break;
    await new Promise((done) => setTimeout(done, 250));
  }
  return false;
}

const HEARTBEAT_MS = 5_000;

function sqliteServerAlive(databasePath: string): boolean {
  const path = `${resolve(databasePath)}.server`;
  let modified: number;
  try {
    modified = statSync(path).mtimeMs;
  } catch {
    return false;
  }
  if (Date.now() - modified > 6 * HEARTBEAT_MS) return false;
  let holder: { pid?: unknown; host?: unknown };
  try {
    holder = JSON.parse(readFileSync(path, 'utf8')) as typeof holder;
  } catch {
    // A fresh file that cannot be read yet: a server starting up, caught mid-write.
    return true;
  }
  if (holder.host === hostname() && typeof holder.pid === 'number') {
    try {
      process.kill(holder.pid, 0);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return true;
}

/** The hint printed when work was queued and no server will run it. */
export function noServerHint(canWait: boolean): string {
  return `No Slipway server is running to pick this up: start one with \`npx slipway serve\`${canWait ? ', or run without --no-wait' : ''}.`;
}
