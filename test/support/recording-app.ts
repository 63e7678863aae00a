import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the local Slack sent to the app. */
export interface RecordedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** Form fields (slash commands, and `payload` for interactivity). */
  form: URLSearchParams;
  /** Parsed JSON body (Events API), or the parsed `payload` field (interactivity). */
  json: Record<string, unknown> | undefined;
}

export interface AppAnswer {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Answer this late, to break Slack's 3-second rule. */
  delayMs?: number;
}

export interface RecordingApp {
  /** The Request URL to give the local Slack. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for a Slack app's Request URL: records every request and answers as told
 * (200 with an empty body by default). For tests of the local Slack's outgoing side.
 */
export async function startRecordingApp(
  answer: (req: RecordedRequest, index: number) => AppAnswer = () => ({}),
): Promise<RecordingApp> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const form = new URLSearchParams(
        String(req.headers['content-type']).includes('urlencoded') ? body : '',
      );
      let json: Record<string, unknown> | undefined;
      try {
        const raw = form.get('payload') ?? (form.size === 0 && body ? body : undefined);
        json = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = { headers: req.headers, body, form, json };
      requests.push(recorded);
      const a = answer(recorded, requests.length - 1);
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(a.status ?? 200, a.headers ?? {});
        res.end(a.body ?? '');
      };
      if (a.delayMs) setTimeout(reply, a.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
