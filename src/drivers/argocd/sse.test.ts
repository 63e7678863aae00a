import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { sseMessages } from './sse.js';

/*
 * What argocd-server writes on GET /api/v1/stream/applications, read in argo-cd at
 * 37ee0097cf851bc2dd7665fc081bbce61a7e836e (3.6.0):
 * - pkg/apiclient/application/forwarder_overwrite.go, init: forward_ApplicationService_Watch_0 is
 *   http.NewStreamForwarder of github.com/argoproj/pkg/v2 v2.0.1 (grpc/http/forwarders.go).
 * - forwarders.go, NewStreamForwarder: SSE only when Accept equals "text/event-stream", with
 *   withKeepalive writing ":\n" every 15 s; messageMarshaler.Marshal: encoding/json of
 *   {"result": event}, for SSE `fmt.Sprintf("data: %s \n\n", …)`.
 * - grpc-gateway v1.16.0 runtime/handler.go, ForwardResponseStream: the delimiter "\n" after each
 *   message; handleForwardResponseStreamError: one {"error": StreamError} chunk, no delimiter.
 */
const app = (type: string, phase: string) =>
  JSON.stringify({
    result: {
      type,
      application: {
        metadata: {
          name: 'web',
          namespace: 'argocd',
          annotations: { 'example.com/note': 'déployé \u003cweb\u003e' },
        },
        spec: { project: 'default' },
        status: { operationState: { phase }, history: [{ id: 1, revision: 'abc' }] },
      },
    },
  }).replace(/[<>]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
const streamErrorChunk =
  '{"error":{"grpc_code":14,"http_code":503,"message":"error reading from server: EOF","http_status":"Service Unavailable"}}';

/** Accept: text/event-stream: events, a keep-alive between them, then an error chunk. */
const SSE_BYTES = `data: ${app('ADDED', 'Running')} \n\n\n:\ndata: ${app('MODIFIED', 'Succeeded')} \n\n\n:\n:\ndata: ${streamErrorChunk} \n\n`;
/** Any other Accept: one JSON object and "\n" per message, the error chunk last. */
const JSON_BYTES = `${app('ADDED', 'Running')}\n${app('MODIFIED', 'Succeeded')}\n${streamErrorChunk}`;

function streamOf(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      }
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of sseMessages(stream, new AbortController().signal)) out.push(m);
  return out;
}

describe('sseMessages', () => {
  it('joins data lines up to a blank line, across chunks, skipping comments', async () => {
    expect(
      await collect(
        streamOf(': hello\n\ndata: {"a"', ':1}\r\n\r\ndata: one\ndata: two\n\nevent: x\n'),
      ),
    ).toEqual(['{"a":1}', 'one\ntwo']);
  });

  it("reads argocd-server's event-stream bytes split at any byte, keep-alives and all", async () => {
    const bytes = new TextEncoder().encode(SSE_BYTES);
    const whole = await collect(streamOf(bytes));
    expect(whole.map((m) => JSON.parse(m))).toEqual([
      JSON.parse(app('ADDED', 'Running')),
      JSON.parse(app('MODIFIED', 'Succeeded')),
      JSON.parse(streamErrorChunk),
    ]);
    expect(JSON.parse(whole[0] as string).result.application.metadata.annotations).toEqual({
      'example.com/note': 'déployé <web>',
    });
    for (let at = 1; at < bytes.length; at++) {
      expect(await collect(streamOf(bytes.slice(0, at), bytes.slice(at)))).toEqual(whole);
    }
    const byByte = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(await collect(streamOf(...byByte))).toEqual(whole);
  });

  it("reads argocd-server's newline-delimited bytes (any other Accept), the error chunk last", async () => {
    const bytes = new TextEncoder().encode(JSON_BYTES);
    const whole = await collect(streamOf(bytes));
    expect(whole).toEqual([
      app('ADDED', 'Running'),
      app('MODIFIED', 'Succeeded'),
      streamErrorChunk,
    ]);
    for (let at = 1; at < bytes.length; at++) {
      expect(await collect(streamOf(bytes.slice(0, at), bytes.slice(at)))).toEqual(whole);
    }
  });
});

describe('client.watch against the bytes argocd-server writes', () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  /** A server that answers the stream with `status` and `body`, written in small pieces. */
  async function serve(status: number, body: string, seen: string[] = []): Promise<string> {
    const server = createServer((req, res) => {
      seen.push(req.headers.accept ?? '');
      res.writeHead(status, { 'content-type': 'text/event-stream' });
      const bytes = Buffer.from(body);
      for (let i = 0; i < bytes.length; i += 7) res.write(bytes.subarray(i, i + 7));
      res.end();
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    close = () => new Promise<void>((done) => server.close(() => done()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const client = (url: string) => createClient(url, 'token', pino({ level: 'silent' }));

  it('asks for exactly text/event-stream, yields each application, and fails on the error chunk', async () => {
    const seen: string[] = [];
    const url = await serve(200, SSE_BYTES, seen);
    const phases: string[] = [];
    const watching = (async () => {
      const signal = new AbortController().signal;
      for await (const a of client(url).watch({ name: 'web' }, signal)) {
        phases.push(a.status?.operationState?.phase ?? '');
      }
    })();
    await expect(watching).rejects.toThrow(
      'the event stream ended with: error reading from server: EOF',
    );
    expect(phases).toEqual(['Running', 'Succeeded']);
    expect(seen).toEqual(['text/event-stream']);
  });

  it("says why a stream refused before any event was refused, from the gateway's error chunk", async () => {
    const chunk =
      '{"error":{"grpc_code":16,"http_code":401,"message":"no session information","http_status":"Unauthorized"}}';
    const url = await serve(401, `data: ${chunk} \n\n`);
    const watching = client(url).watch({ name: 'web' }, new AbortController().signal);
    await expect(watching.next()).rejects.toThrow(
      /rejected Slipway's token \(401: no session information\)/,
    );
  });
});
