import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from './router.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A server whose handler hands each request to `read`; resolves with what it read. */
async function serve(read: (req: IncomingMessage) => Promise<Buffer>) {
  const outcomes: Array<Promise<Buffer>> = [];
  server = createServer((req, res) => {
    const outcome = read(req);
    outcomes.push(outcome);
    outcome.then(
      (body) => res.end(`read ${body.length}`),
      () => undefined,
    );
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  return { port: (server.address() as AddressInfo).port, outcomes };
}

function send(port: number, chunks: Buffer[], finish = true): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/' }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c)).on('end', () => resolve(text));
    });
    req.on('error', (err) => resolve(`error: ${err.message}`));
    for (const chunk of chunks) req.write(chunk);
    if (finish) req.end();
    else setTimeout(() => req.destroy(), 100);
  });
}

describe('readBody', () => {
  it('reads a body sent in several chunks, whole', async () => {
    const { port, outcomes } = await serve((req) => readBody(req));
    const parts = [Buffer.from('a'.repeat(70_000)), Buffer.from('b'.repeat(70_000))];
    expect(await send(port, parts)).toBe('read 140000');
    expect((await outcomes[0])?.toString()).toBe(`${'a'.repeat(70_000)}${'b'.repeat(70_000)}`);
  });

  it('refuses a body over the limit with status 413 and reads no more of it', async () => {
    const { port, outcomes } = await serve((req) => readBody(req, 1000));
    const answer = await send(port, [Buffer.alloc(600), Buffer.alloc(600)]);
    expect(answer).toMatch(/^error: /);
    await expect(outcomes[0]).rejects.toMatchObject({
      status: 413,
      message: 'request body is larger than 1000 bytes',
    });
  });

  it('rejects when the client goes away before the body ends', async () => {
    const { port, outcomes } = await serve((req) => readBody(req));
    await send(port, [Buffer.alloc(100)], false);
    await expect(outcomes[0]).rejects.toThrow();
  });
});
