/**
 * The payloads of a server-sent event stream (html.spec.whatwg.org, "event stream
 * interpretation"): `data:` lines up to a blank line make one message; comments (argocd-server's
 * `:` keep-alive) and other fields are skipped. Argo CD answers `Accept: text/event-stream`
 * exactly this way (`data: <json> \n\n` and a `\n`); for any other Accept it writes one JSON
 * object per line, which is read as well. test/support/argocd/README.md has the source of both.
 */
export async function* sseMessages(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const onAbort = () => {
    reader.cancel().catch(() => {});
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        } else if (line.startsWith('{')) {
          yield line;
        }
      }
    }
    if (data.length > 0) yield data.join('\n');
    // grpc-gateway writes no delimiter after a stream's error chunk (ForwardResponseStream,
    // handleForwardResponseStreamError): without the SSE framing it is the last line, unended.
    const last = (buffer + decoder.decode()).trim();
    if (last.startsWith('{')) yield last;
  } finally {
    signal.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => {});
  }
}
