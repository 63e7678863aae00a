import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { argoCdSpec } from './argocd-spec.js';

const spec = argoCdSpec();

describe("Argo CD's API description, as the double reads it", () => {
  it('names the commit it was vendored from', () => {
    const source = JSON.parse(
      readFileSync(new URL('./argocd/source.json', import.meta.url), 'utf8'),
    );
    expect(spec.source).toEqual(source);
    expect(spec.source.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('finds operations by method and path, a literal segment before a parameter', () => {
    expect(spec.operation('GET', '/api/v1/applications/web')).toBe('ApplicationService_Get');
    expect(spec.operation('PUT', '/api/v1/applications/web')).toBe('ApplicationService_Update');
    expect(spec.operation('POST', '/api/v1/applications/manifestsWithFiles')).toBe(
      'ApplicationService_GetManifestsWithFiles',
    );
    expect(spec.operation('GET', '/api/v1/stream/applications')).toBe('ApplicationService_Watch');
    expect(spec.operation('POST', '/api/v1/applications/web')).toBeNull();
  });

  it('checks query parameters by name and type, and the body against its definition', () => {
    const q = new URLSearchParams('appNamespace=a&projects=x&projects=y&refresh=hard');
    expect(spec.checkRequest('ApplicationService_Get', q, null)).toEqual([]);
    expect(
      spec.checkRequest('ApplicationService_Get', new URLSearchParams('project=x&nme=web'), null),
    ).toEqual(['query parameter "nme" is not in the description (grpc-gateway ignores it)']);
    expect(
      spec.checkRequest('ApplicationService_Delete', new URLSearchParams('cascade=yes'), null),
    ).toEqual(['query parameter "cascade" must be true or false, not "yes"']);
    expect(spec.checkRequest('ApplicationService_Sync', new URLSearchParams(), null)).toEqual([
      'needs a body, none was sent',
    ]);
    expect(
      spec.checkRequest('ApplicationService_TerminateOperation', new URLSearchParams(), {}),
    ).toEqual(['takes no body, but one was sent']);
  });

  it('reads int64 as a JSON number, as encoding/json writes it, even where the file says string', () => {
    const sync = (positions: unknown[]) =>
      spec.checkRequest('ApplicationService_Sync', new URLSearchParams(), {
        sourcePositions: positions,
      });
    expect(sync([1, 2])).toEqual([]);
    expect(sync(['1'])).toEqual(['body.sourcePositions.0 must be integer']);
  });

  it('checks answers: the 200 schema, else runtimeError; a zero time may be null', () => {
    const app = {
      metadata: { name: 'web', creationTimestamp: null },
      status: { history: [{ id: 1, deployedAt: '2026-01-01T00:00:00Z' }] },
    };
    expect(spec.checkResponse('ApplicationService_Get', 200, app)).toEqual([]);
    expect(
      spec.checkResponse('ApplicationService_Get', 200, { ...app, status: { helth: {} } }),
    ).toEqual(['answer 200.status.helth is not in the description (argocd-server never sends it)']);
    expect(
      spec.checkResponse('ApplicationService_Get', 403, { error: 'no', code: 7, message: 'no' }),
    ).toEqual([]);
    expect(spec.checkResponse('ApplicationService_Get', 403, { code: '7' })).toEqual([
      'answer 403.code must be integer',
    ]);
  });

  it('checks stream chunks: a result event or grpc-gateway StreamError', () => {
    const watch = 'ApplicationService_Watch';
    const error = { grpc_code: 14, http_code: 503, message: 'EOF', http_status: 'x' };
    expect(spec.checkStreamChunk(watch, { error })).toEqual([]);
    expect(spec.checkStreamChunk(watch, { error: { ...error, code: 14 } })).toEqual([
      'stream event.error.code is not in the description (argocd-server never sends it)',
    ]);
    expect(spec.checkStreamChunk('ApplicationService_Get', {})).toEqual([
      'ApplicationService_Get is not a stream',
    ]);
  });
});
