import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terminate, waitUntilReady } from './daemon.js';
import { freePort } from './ports.js';

/** Debian's package (`apt-get install prometheus-alertmanager`); SLIPWAY_TEST_ALERTMANAGER overrides. */
export const ALERTMANAGER_BINARY = '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerOptions {
  /** Where the webhook receiver sends notifications. */
  webhookUrl: string;
  /** Sent as `Authorization: Bearer <token>` (http_config.authorization.credentials). */
  token: string;
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  resolveTimeout?: string;
}

/** An alert as Alertmanager's API v2 takes it (POST /api/v2/alerts). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface AlertmanagerProcess {
  /** `http://127.0.0.1:<port>`, also its external URL. */
  url: string;
  /** Posts alerts as Prometheus does; an alert posted with `endsAt` in the past is resolved. */
  post(alerts: PostableAlert[]): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real Alertmanager for a test: its own free port, temporary storage, clustering off, and a
 * generated config whose only receiver is a webhook to Slipway. Throws, saying how to install
 * it, when the binary is missing: the tests that need it fail, never skip.
 */
export async function startAlertmanager(
  options: AlertmanagerOptions,
): Promise<AlertmanagerProcess> {
  const binary = process.env.SLIPWAY_TEST_ALERTMANAGER || ALERTMANAGER_BINARY;
  if (!existsSync(binary)) {
    throw new Error(
      `No Alertmanager at ${binary}. Install it with: apt-get install -y prometheus-alertmanager (or set SLIPWAY_TEST_ALERTMANAGER to the binary).`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'slipway-alertmanager-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'alertmanager.yml');
  // JSON is YAML.
  writeFileSync(configFile, JSON.stringify(configFor(options), null, 2));
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      // An empty address turns clustering (gossip with peers) off.
      '--cluster.listen-address=',
      '--log.level=debug',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const stop = async () => {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady('Alertmanager', url, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async post(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!res.ok)
        throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
    },
    output: () => output,
    stop,
  };
}

function configFor(o: AlertmanagerOptions) {
  return {
    global: { resolve_timeout: o.resolveTimeout ?? '5m' },
    route: {
      receiver: 'slipway',
      group_by: o.groupBy ?? ['alertname', 'service'],
      group_wait: o.groupWait ?? '1s',
      group_interval: o.groupInterval ?? '1s',
      repeat_interval: o.repeatInterval ?? '1h',
    },
    receivers: [
      {
        name: 'slipway',
        webhook_configs: [
          {
            url: o.webhookUrl,
            send_resolved: true,
            http_config: { authorization: { type: 'Bearer', credentials: o.token } },
          },
        ],
      },
    ],
  };
}
