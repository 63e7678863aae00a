import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { epochMs } from './slack-request.js';
import { type LatencySummary, summarize } from './stats.js';

/**
 * Stands in for Slack's response_url endpoints: every command the load generator sends carries
 * `<sink>/r/<phase>/<trigger_id>/<sent-at ms>`, so the sink can tell how many commands were
 * answered and how long after they were sent. It answers `ok`, as Slack does.
 */
export interface ResponseSink {
  url: string;
  /** Answers received for a phase, and their delay after the command was sent. */
  answers(phase: string): { count: number; latency: LatencySummary };
  /** Waits until no answer for `phase` has arrived for `quietMs`, or `timeoutMs` passed. */
  settle(phase: string, quietMs?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startResponseSink(): Promise<ResponseSink> {
  const delays = new Map<string, number[]>();
  const lastAt = new Map<string, number>();
  const server = createServer((req, res) => {
    const m = /^\/r\/([^/]+)\/[^/]+\/([\d.]+)$/.exec(req.url ?? '');
    req.resume();
    req.on('end', () => {
      if (m?.[1] && m[2]) {
        const list = delays.get(m[1]) ?? [];
        list.push(epochMs() - Number(m[2]));
        delays.set(m[1], list);
        lastAt.set(m[1], performance.now());
      }
      res.writeHead(m ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(m ? 'ok' : 'not_found');
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answers(phase) {
      const list = delays.get(phase) ?? [];
      return { count: list.length, latency: summarize(list) };
    },
    async settle(phase, quietMs = 1_500, timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs;
      const since = performance.now();
      for (;;) {
        const last = lastAt.get(phase) ?? since;
        if (performance.now() - last >= quietMs || performance.now() > deadline) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
