import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isLocalRequest, localOrigin, safeReturnPath } from './local.js';

function req(remoteAddress: string, headers: Record<string, string>): IncomingMessage {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('requests from this machine', () => {
  it('come from loopback, to a loopback name, not relayed', () => {
    expect(isLocalRequest(req('127.0.0.1', { host: '127.0.0.1:3000' }))).toBe(true);
    expect(isLocalRequest(req('::1', { host: '[::1]:3000' }))).toBe(true);
    expect(isLocalRequest(req('::ffff:127.0.0.1', { host: 'localhost:3000' }))).toBe(true);
    expect(isLocalRequest(req('10.0.0.5', { host: '127.0.0.1:3000' }))).toBe(false);
    // DNS rebinding: the browser reaches loopback under the attacker's name.
    expect(isLocalRequest(req('127.0.0.1', { host: 'evil.example:3000' }))).toBe(false);
    expect(isLocalRequest(req('127.0.0.1', {}))).toBe(false);
    // A reverse proxy on this machine relays everyone's requests from loopback.
    const proxied = { host: 'localhost:3000', 'x-forwarded-for': '203.0.113.9' };
    expect(isLocalRequest(req('127.0.0.1', proxied))).toBe(false);
    expect(isLocalRequest(req('127.0.0.1', { host: 'localhost', forwarded: 'for=x' }))).toBe(false);
  });

  it("have the origin of the Host they asked, which a local page's actions must come from", () => {
    expect(localOrigin(req('127.0.0.1', { host: 'LocalHost:3000' }))).toBe('http://localhost:3000');
    expect(localOrigin(req('127.0.0.1', { host: 'evil.example' }))).toBeNull();
  });
});

describe('where to return after signing in', () => {
  it('is a path of this dashboard, query kept, fragment dropped', () => {
    expect(safeReturnPath('/deployments/d-1?tab=log#end')).toBe('/deployments/d-1?tab=log');
    expect(safeReturnPath('/')).toBe('/');
  });

  it('is / for anything that could lead elsewhere or back into signing in', () => {
    for (const value of [
      null,
      undefined,
      '',
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      '/ok\r\nSet-Cookie: x=1',
      'javascript:alert(1)',
      '/login?return=/x',
      '/auth/callback?code=1',
      '/logout',
      `/${'a'.repeat(3000)}`,
    ]) {
      expect(safeReturnPath(value)).toBe('/');
    }
  });
});
