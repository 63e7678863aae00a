import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createCookieJar, parseCookies } from './cookies.js';

function exchange(cookie?: string) {
  const req = new IncomingMessage(new Socket());
  if (cookie !== undefined) req.headers.cookie = cookie;
  return { req, res: new ServerResponse(req) };
}

describe('cookies', () => {
  it('reads a Cookie header by name; the first of a repeated name wins', () => {
    const cookies = parseCookies('a=1; b="two" ;c=x=y; a=3; broken; =nameless');
    expect([...cookies]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['c', 'x=y'],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('sets HTTP-only, SameSite=Lax cookies for the whole site, and clears them', () => {
    const jar = createCookieJar(false);
    const { res } = exchange();
    jar.set(res, 'slipway_session', 'v1', 3600);
    jar.clear(res, 'slipway_login');
    expect(res.getHeader('set-cookie')).toEqual([
      'slipway_session=v1; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax',
      'slipway_login=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax',
    ]);
  });

  it('over https, sets them Secure under the __Host- prefix and reads only that name', () => {
    const jar = createCookieJar(true);
    const { res } = exchange();
    jar.set(res, 'slipway_session', 'v1', 60);
    expect(res.getHeader('set-cookie')).toEqual([
      '__Host-slipway_session=v1; Max-Age=60; Path=/; HttpOnly; SameSite=Lax; Secure',
    ]);
    // One planted without the prefix (by a sibling subdomain, say) is not ours.
    const { req } = exchange('slipway_session=planted; __Host-slipway_session=ours');
    expect(jar.read(req, 'slipway_session')).toBe('ours');
    expect(jar.read(exchange('slipway_session=planted').req, 'slipway_session')).toBeUndefined();
  });
});
