import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../core/errors.js';
import { ArgoCdError, type Attempt, explain, HttpFailure } from './errors.js';

const sync: Attempt = {
  action: 'sync',
  doing: 'sync',
  application: 'web',
  server: 'https://argocd.example.com',
};
const grpc = (message: string, code = 9) => JSON.stringify({ error: message, code, message });

describe('explain', () => {
  it('says which token to fix on 401', () => {
    const err = explain(new HttpFailure(401, grpc('no session information', 16)), sync);
    expect(err).toBeInstanceOf(ArgoCdError);
    expect(err.message).toBe(
      `Argo CD at https://argocd.example.com rejected Slipway's token (401: no session information): set ARGOCD_TOKEN (or ARGOCD_TOKEN_FILE) to a valid API token, e.g. from "argocd account generate-token --account slipway".`,
    );
  });

  it("reads a refused event stream's error chunk, plain or as a server-sent event", () => {
    // grpc-gateway v1.16 handleForwardResponseStreamError: the status from the error, the
    // error chunk as the body (argocd-server's Watch stream, see sse.test.ts).
    const chunk =
      '{"error":{"grpc_code":16,"http_code":401,"message":"invalid session: token has invalid claims","http_status":"Unauthorized"}}';
    for (const body of [chunk, `data: ${chunk} \n\n`]) {
      expect(explain(new HttpFailure(401, body), sync).message).toMatch(
        /rejected Slipway's token \(401: invalid session: token has invalid claims\): set ARGOCD_TOKEN/,
      );
    }
  });

  it('names the RBAC rule to add on 403, and the missing application Argo CD may hide', () => {
    const said = 'permission denied: applications, sync, team/web, sub: slipway';
    expect(explain(new HttpFailure(403, grpc(said, 7)), { ...sync, project: 'team' }).message).toBe(
      `Slipway's Argo CD account may not sync application web (${said}): allow it in argocd-rbac-cm, e.g. "p, role:slipway, applications, sync, team/web, allow".`,
    );
    expect(explain(new HttpFailure(403, grpc('permission denied', 7)), sync).message).toMatch(
      /, or there is no application web \(Argo CD answers 403 then too; set "project"/,
    );
    expect(
      explain(new HttpFailure(403, grpc('cannot sync: blocked by sync window', 7)), sync).message,
    ).toMatch(/^Argo CD blocks syncing web now: a sync window of its project is closed/);
  });

  it('says to fix the name on 404', () => {
    const err = explain(new HttpFailure(404, grpc('not found', 5)), { ...sync, project: 'team' });
    expect(err.message).toBe(
      'Argo CD has no application web in project team: fix "application" in the argocd options.',
    );
  });

  it('makes 5xx, 429, timeouts and unreachable servers retryable', () => {
    const busy = explain(new HttpFailure(503, 'upstream connect error', 2_000), sync);
    expect(busy).toBeInstanceOf(RetryableError);
    expect(busy).toMatchObject({ retryAfterMs: 2_000 });
    expect(busy.message).toBe(
      'Argo CD at https://argocd.example.com answered 503 when Slipway tried to sync web: upstream connect error.',
    );
    expect(explain(new HttpFailure(429, ''), sync)).toBeInstanceOf(RetryableError);
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    expect(explain(timeout, sync)).toBeInstanceOf(RetryableError);
    const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    expect(explain(refused, sync).message).toBe(
      'Cannot reach Argo CD at https://argocd.example.com (fetch failed: connect ECONNREFUSED); check ARGOCD_SERVER and that the Argo CD API server is up.',
    );
  });

  it('tells the refusals callers react to', () => {
    const busy = explain(
      new HttpFailure(400, grpc('another operation is already in progress')),
      sync,
    );
    expect(busy).toMatchObject({ refusal: 'busy', httpStatus: 400 });
    const auto = explain(
      new HttpFailure(400, grpc('rollback cannot be initiated when auto-sync is enabled')),
      { ...sync, doing: 'roll back' },
    );
    expect(auto).toMatchObject({ refusal: 'auto_sync' });
    expect(auto.message).toMatch(/disable automated sync on web .* or roll forward/);
    expect(explain(new HttpFailure(400, grpc('bad id', 3)), sync).message).toBe(
      'Argo CD refused to sync web (400): bad id.',
    );
  });
});
