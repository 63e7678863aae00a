import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Json } from './argocd-controller.js';
import { type ArgoCdDouble, startArgoCdDouble } from './argocd-double.js';

/**
 * The double's watch stream against the bytes argocd-server writes, as read in argo-cd at
 * 37ee0097cf851bc2dd7665fc081bbce61a7e836e: pkg/apiclient/application/forwarder_overwrite.go
 * (init: the Watch forwarder), github.com/argoproj/pkg/v2 v2.0.1 grpc/http/forwarders.go
 * (NewStreamForwarder, messageMarshaler.Marshal, withKeepalive), grpc-gateway v1.16.0
 * runtime/handler.go (ForwardResponseStream, handleForwardResponseStreamError) and
 * server/application/application.go (Watch, isApplicationPermitted). argocd-stream.ts has the
 * details.
 */

let double: ArgoCdDouble;

beforeEach(async () => {
  double = await startArgoCdDouble({ keepaliveMs: 20 });
  double.add({ name: 'web', image: 'registry.test/web', version: '1.0.0' });
});
afterEach(() => double.close());

interface Opened {
  status: number;
  type: string | null;
  /** Reads until `until` holds for everything read so far, and returns it. */
  readUntil(until: (text: string) => boolean): Promise<string>;
  close(): void;
}

async function open(query: string, accept?: string, token = double.token): Promise<Opened> {
  const controller = new AbortController();
  const response = await fetch(`${double.url}/api/v1/stream/applications?${query}`, {
    headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) },
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    async readUntil(until) {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      return text;
    },
    close: () => controller.abort(),
  };
}

const setVersion = (version: string) =>
  fetch(`${double.url}/api/v1/applications/web`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${double.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'web',
      patchType: 'merge',
      patch: JSON.stringify({
        spec: { source: { kustomize: { images: [`registry.test/web:${version}`] } } },
      }),
    }),
  });

describe('the Argo CD double watch stream, as argocd-server writes it', () => {
  it('frames events as `data: <json> \\n\\n` then the delimiter `\\n`, with `:\\n` keep-alives, for Accept: text/event-stream', async () => {
    const stream = await open('name=web', 'text/event-stream');
    expect(stream.status).toBe(200);
    expect(stream.type).toBe('text/event-stream');
    const first = await stream.readUntil((t) => t.includes(' \n\n\n'));
    const event = first.slice(0, first.indexOf(' \n\n\n') + 4);
    expect(event).toBe(
      `data: ${JSON.stringify({ result: { type: 'ADDED', application: double.app('web') } })} \n\n\n`,
    );
    const more = await stream.readUntil((t) => t.includes('\n:\n'));
    expect(more.slice(event.length)).toMatch(/^(:\n)+/);
    await setVersion('1.3.0');
    const changed = await stream.readUntil((t) => /"MODIFIED".* \n\n\n/.test(t));
    expect(changed).toMatch(
      /(^|\n)data: \{"result":\{"type":"MODIFIED","application":\{.*\}\}\} \n\n\n/,
    );
    stream.close();
  });

  it('writes one JSON object and `\\n` per event for any other Accept, without keep-alives', async () => {
    const stream = await open('name=web', 'text/event-stream, */*');
    expect(stream.type).toBe('application/json');
    const text = await stream.readUntil((t) => t.endsWith('}\n'));
    expect(text).toBe(
      `${JSON.stringify({ result: { type: 'ADDED', application: double.app('web') } })}\n`,
    );
    stream.close();
  });

  it("escapes <, > and & as Go's encoding/json does, in events and answers", async () => {
    const stream = await open('name=web', 'text/event-stream');
    await stream.readUntil((t) => t.includes(' \n\n\n'));
    const patched = await fetch(`${double.url}/api/v1/applications/web`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${double.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'web',
        patchType: 'merge',
        patch: JSON.stringify({ metadata: { annotations: { note: 'a<b & c>' } } }),
      }),
    });
    const escaped = '"annotations":{"note":"a\\u003cb \\u0026 c\\u003e"}';
    expect(await patched.text()).toContain(escaped);
    expect(await stream.readUntil((t) => t.includes(escaped))).toContain(escaped);
    stream.close();
  });

  it('refuses a bad token with the status and a stream error chunk, not the unary error body', async () => {
    const stream = await open('name=web', 'text/event-stream', 'nope');
    expect(stream.status).toBe(401);
    expect(await stream.readUntil(() => false)).toBe(
      'data: {"error":{"grpc_code":16,"http_code":401,"message":"invalid session: token signature is invalid","http_status":"Unauthorized"}} \n\n',
    );
  });

  it('ends with an in-stream error chunk, without delimiter, when the API side fails', async () => {
    double.setStream('error');
    const stream = await open('name=web');
    const text = await stream.readUntil(() => false);
    const [added, error] = text.split('\n');
    expect(JSON.parse(added as string).result.type).toBe('ADDED');
    expect(error).toBe(
      '{"error":{"grpc_code":14,"http_code":503,"message":"error reading from server: EOF","http_status":"Service Unavailable"}}',
    );
  });

  it('keeps a stream for an application it may not show open and silent, as Watch does', async () => {
    const stream = await open('name=nope', 'text/event-stream');
    expect(stream.status).toBe(200);
    expect(await stream.readUntil((t) => t.length >= 6)).toMatch(/^(:\n)+$/);
    stream.close();
  });

  it('streams every application it may show when no name is given, sorted, and checks each event', async () => {
    double.add({ name: 'api', image: 'registry.test/api', version: '2.0.0' });
    const stream = await open('', 'text/event-stream');
    const text = await stream.readUntil((t) => t.split(' \n\n\n').length > 2);
    const names = text
      .split(' \n\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => (JSON.parse(e.slice(6)) as Json).result.application.metadata.name);
    expect(names).toEqual(['api', 'web']);
    expect(double.violations).toEqual([]);
    stream.close();
  });
});
