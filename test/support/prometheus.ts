import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terminate, waitUntilReady } from './daemon.js';
import { freePort } from './ports.js';

/** One sample of Prometheus' text exposition format: `name{label="value",…} 1.5`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses a scrape (prometheus.io/docs/instrumenting/exposition_formats) into its samples. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/**
 * The value of the one sample named `name` whose labels include `labels`; undefined when there
 * is none. Throws when several match: the test should name more labels.
 */
export function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1)
    throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** Debian's package (`apt-get install prometheus`); SLIPWAY_TEST_PROMETHEUS overrides. */
export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

/** A scrape target and the labels Prometheus attaches to its series (as relabelling would). */
export interface ScrapeTarget {
  /** `host:port` serving `/metrics`. */
  target: string;
  labels: Record<string, string>;
}

export interface PrometheusProcess {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Replaces the scrape targets (SIGHUP reload) and waits until Prometheus scrapes them all. */
  setTargets(targets: ScrapeTarget[]): Promise<void>;
  /**
   * Waits until every target has been scraped for `seconds`: until then `rate(…[<seconds>s])`
   * divides a short stretch of increase by the whole window and reads low.
   */
  waitForHistory(seconds: number): Promise<void>;
  /** Waits until `promql` returns a vector whose values satisfy `accept`; returns them. */
  waitFor(
    promql: string,
    accept: (values: number[]) => boolean,
    timeoutMs?: number,
  ): Promise<number[]>;
  /** Stops the server, keeping its data; `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  output(): string;
  /** Stops it and removes its data. */
  remove(): Promise<void>;
}

/**
 * A real Prometheus for a test: its own free loopback port, a temporary TSDB, a 1 s scrape
 * interval and a generated config whose one job scrapes `targets`. Throws, saying how to
 * install it, when the binary is missing: the tests that need it fail, never skip.
 */
export async function startPrometheus(targets: ScrapeTarget[] = []): Promise<PrometheusProcess> {
  const binary = process.env.SLIPWAY_TEST_PROMETHEUS || PROMETHEUS_BINARY;
  if (!existsSync(binary)) {
    throw new Error(
      `No Prometheus at ${binary}. Install it with: apt-get install -y prometheus (or set SLIPWAY_TEST_PROMETHEUS to the binary).`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'slipway-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'prometheus.yml');
  let current = targets;
  let child: ChildProcess | null = null;
  let output = '';

  const writeConfig = () => writeFileSync(configFile, JSON.stringify(configFor(current), null, 2));
  const start = async () => {
    writeConfig();
    const started = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Series a target stops exposing vanish at once rather than after 5 minutes.
        '--query.lookback-delta=30s',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    started.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    started.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    await waitUntilReady('Prometheus', url, started, () => output);
  };
  const stop = async () => {
    if (child) await terminate(child);
    child = null;
  };

  try {
    await start();
    await waitScraped(url, current);
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    async setTargets(next) {
      current = next;
      writeConfig();
      child?.kill('SIGHUP');
      await waitScraped(url, current);
    },
    async waitForHistory(seconds) {
      const query = `min(count_over_time(up[${seconds + 1}s]))`;
      await waitForQuery(url, query, (v) => (v[0] ?? 0) >= seconds, (seconds + 20) * 1000);
    },
    waitFor: (promql, accept, timeoutMs) => waitForQuery(url, promql, accept, timeoutMs),
    stop,
    start,
    output: () => output,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function configFor(targets: ScrapeTarget[]) {
  return {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: [
      {
        job_name: 'app',
        static_configs: targets.map((t) => ({ targets: [t.target], labels: t.labels })),
      },
    ],
  };
}

/** Until every target has been scraped successfully at least twice (so rate() has two points). */
async function waitScraped(url: string, targets: ScrapeTarget[]): Promise<void> {
  for (const t of targets) {
    await waitForQuery(
      url,
      `count_over_time(up{instance="${t.target}"}[1m])`,
      (v) => (v[0] ?? 0) >= 2,
    );
    await waitForQuery(url, `up{instance="${t.target}"}`, (v) => v[0] === 1);
  }
}

async function waitForQuery(
  url: string,
  promql: string,
  accept: (values: number[]) => boolean,
  timeoutMs = 20_000,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    const res = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: promql }),
    });
    const body = (await res.json()) as {
      data?: { result?: { value: [number, string] }[] };
    };
    last = body;
    const values = (body.data?.result ?? []).map((s) => Number(s.value[1]));
    if (accept(values)) return values;
    if (Date.now() > deadline) {
      throw new Error(
        `${promql} did not return what the test waits for in ${timeoutMs} ms: ${JSON.stringify(last)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
