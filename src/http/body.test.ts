import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { readBody } from './body.js';
import { sendJson } from './router.js';

let server: Server | undefined;
afterEach(
  () =>
    new Promise<void>((done) => {
      server?.closeAllConnections();
      return server ? server.close(() => done()) : done();
    }),
);

/**
 * A server that hands each request to `read` and answers what it read, or the refusal, with
 * sendJson as the routes do; resolves with what it read.
 */
async function serve(read: (req: IncomingMessage) => Promise<Buffer>) {
  const outcomes: Array<Promise<Buffer>> = [];
  server = createServer((req, res) => {
    const outcome = read(req);
    outcomes.push(outcome);
    outcome.then(
      (body) => sendJson(res, 200, { read: body.length }),
      (err: unknown) =>
        err instanceof SlipwayError
          ? sendJson(res, err.status, { error: err.code, message: err.message })
          : res.destroy(),
    );
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  return { port: (server.address() as AddressInfo).port, outcomes };
}

interface Sent {
  status: number;
  connection: string | undefined;
  body: string;
  /** A socket error before any answer came: what the client sees as a reset. */
  error: string | null;
}

/** Writes `chunks` (declared up front when `declare`), keeps writing after an early answer. */
function send(
  port: number,
  chunks: Buffer[],
  options: { declare?: boolean; finish?: boolean } = {},
): Promise<Sent> {
  return new Promise((resolve) => {
    const sent: Sent = { status: 0, connection: undefined, body: '', error: null };
    const length = chunks.reduce((n, c) => n + c.length, 0);
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/',
      headers: options.declare ? { 'content-length': length } : {},
    });
    req.on('response', (res) => {
      sent.status = res.statusCode ?? 0;
      sent.connection = res.headers.connection;
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        sent.body += text;
      });
      res.on('end', () => resolve(sent));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (sent.status === 0) resolve({ ...sent, error: err.code ?? err.message });
    });
    let i = 0;
    const pump = () => {
      while (i < chunks.length) if (!req.write(chunks[i++])) return void req.once('drain', pump);
      if (options.finish ?? true) req.end();
      else setTimeout(() => req.destroy(), 100);
    };
    pump();
  });
}

const megabytes = (n: number) => Array.from({ length: n * 16 }, () => Buffer.alloc(64 * 1024));

describe('readBody', () => {
  it('reads a body sent in several chunks, whole', async () => {
    const { port, outcomes } = await serve((req) => readBody(req, 1024 * 1024));
    const parts = [Buffer.from('a'.repeat(70_000)), Buffer.from('b'.repeat(70_000))];
    expect(await send(port, parts)).toMatchObject({ status: 200, body: '{"read":140000}' });
    expect((await outcomes[0])?.toString()).toBe(`${'a'.repeat(70_000)}${'b'.repeat(70_000)}`);
  });

  it('answers a declared body over the limit with 413 before reading it, and the client sees it', async () => {
    const { port } = await serve((req) => readBody(req, 1000));
    const answer = await send(port, megabytes(24), { declare: true });
    expect(answer).toMatchObject({ status: 413, connection: 'close', error: null });
    expect(JSON.parse(answer.body)).toEqual({
      error: 'too_large',
      message: 'The body is larger than 1000 bytes, the most POST / accepts.',
    });
    // The header alone decides: a client that declares the size and sends nothing is answered.
    const early = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/' });
      req.setHeader('content-length', 10_000);
      req.on('response', (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', () => undefined);
      req.flushHeaders();
    });
    expect(early).toBe(413);
  });

  it('answers a streamed body with 413 once it passes the limit, not with a reset', async () => {
    const { port, outcomes } = await serve((req) => readBody(req, 64 * 1024));
    const answers = await Promise.all(Array.from({ length: 20 }, () => send(port, megabytes(8))));
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 413, connection: 'close', error: null });
      expect(JSON.parse(answer.body).message).toBe(
        'The body is larger than 64 KiB, the most POST / accepts.',
      );
    }
    await expect(outcomes[0]).rejects.toMatchObject({ status: 413 });
  });

  it('rejects when the client goes away before the body ends', async () => {
    const { port, outcomes } = await serve((req) => readBody(req, 1024 * 1024));
    await send(port, [Buffer.alloc(100)], { finish: false });
    await expect(outcomes[0]).rejects.toThrow();
  });
});

describe('sendJson before the body is read', () => {
  it('answers at once, drains the rest and closes, so the client sees the answer', async () => {
    server = createServer((_req, res) => sendJson(res, 401, { message: 'No.' }));
    await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(port, megabytes(8), { declare: i % 2 === 0 })),
    );
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 401, connection: 'close', error: null });
    }
  });

  it('keeps the connection when the request has no body', async () => {
    server = createServer((_req, res) => sendJson(res, 200, { ok: true }));
    await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(res.headers.get('connection')).toBe('keep-alive');
    await res.text();
  });
});
