import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How one instance of the app behaves: requests per second, share of 5xx, latency of each. */
export interface Traffic {
  rps: number;
  errorRatio: number;
  latencyMs: number;
}

export interface MetricsApp {
  /** `127.0.0.1:<port>`, as a scrape target. */
  target: string;
  /** Changes the traffic from now on; what was counted so far stays counted. */
  set(traffic: Partial<Traffic>): void;
  /** Requests and errors counted so far. */
  totals(): { requests: number; errors: number };
  /** Resolves when the next scrape has been answered, with its `performance.now()`. */
  nextScrape(): Promise<number>;
  stop(): Promise<void>;
}

/** Upper bounds of the latency histogram, in seconds (prom-client's defaults). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * An app instance Prometheus scrapes at `/metrics`, serving the metrics a web service has
 * (`http_requests_total{code}`, `http_request_duration_seconds`). It serves no real requests:
 * the counters grow with time as if it served `rps` requests a second, `errorRatio` of them
 * 500s, each taking `latencyMs`. That keeps ratios exact (12% errors measure as 0.12, not
 * 0.1196 from whole requests falling either side of a scrape), so tests can assert values.
 * Counters are fractional for the same reason; Prometheus stores floats either way.
 */
export async function startMetricsApp(initial: Partial<Traffic> = {}): Promise<MetricsApp> {
  let traffic: Traffic = { rps: 0, errorRatio: 0, latencyMs: 50, ...initial };
  // Counted up to `since`; the current traffic adds from there.
  let counted = { ok: 0, errors: 0, latencySum: 0, buckets: BUCKETS.map(() => 0) };
  let since = Date.now();

  const now = () => {
    const seconds = (Date.now() - since) / 1000;
    const requests = traffic.rps * seconds;
    const errors = requests * traffic.errorRatio;
    const latency = traffic.latencyMs / 1000;
    return {
      ok: counted.ok + requests - errors,
      errors: counted.errors + errors,
      latencySum: counted.latencySum + requests * latency,
      buckets: counted.buckets.map(
        (count, i) => count + (latency <= (BUCKETS[i] as number) ? requests : 0),
      ),
    };
  };

  // Who waits for the next scrape: answered once its reply is written, when Prometheus holds
  // everything counted until then.
  const scrapeWaiters: ((at: number) => void)[] = [];
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(exposition(now()), () => {
      const at = performance.now();
      for (const resolve of scrapeWaiters.splice(0)) resolve(at);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    target: `127.0.0.1:${port}`,
    set(change) {
      counted = now();
      since = Date.now();
      traffic = { ...traffic, ...change };
    },
    totals() {
      const c = now();
      return { requests: c.ok + c.errors, errors: c.errors };
    },
    nextScrape: () => new Promise((resolve) => scrapeWaiters.push(resolve)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function exposition(c: {
  ok: number;
  errors: number;
  latencySum: number;
  buckets: number[];
}): string {
  const total = c.ok + c.errors;
  return [
    '# HELP http_requests_total Requests served, by status code.',
    '# TYPE http_requests_total counter',
    `http_requests_total{code="200"} ${c.ok}`,
    `http_requests_total{code="500"} ${c.errors}`,
    '# HELP http_request_duration_seconds Time to serve a request.',
    '# TYPE http_request_duration_seconds histogram',
    ...BUCKETS.map((le, i) => `http_request_duration_seconds_bucket{le="${le}"} ${c.buckets[i]}`),
    `http_request_duration_seconds_bucket{le="+Inf"} ${total}`,
    `http_request_duration_seconds_sum ${c.latencySum}`,
    `http_request_duration_seconds_count ${total}`,
    '',
  ].join('\n');
}
