import { describe, expect, it } from 'vitest';
import { sseMessages } from './sse.js';

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
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

  it('reads newline-delimited JSON, as the gateway writes without the SSE header', async () => {
    expect(await collect(streamOf('{"result":1}\n{"res', 'ult":2}\n'))).toEqual([
      '{"result":1}',
      '{"result":2}',
    ]);
  });
});
