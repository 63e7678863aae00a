import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../../core/dashboard-settings.js';
import { isLoopback } from '../../http/api-access.js';
import { header } from '../../http/request.js';

/**
 * Whether a request comes from someone at this machine: from a loopback address, to a loopback
 * name, not relayed. The name matters because of DNS rebinding: a page on evil.example whose
 * name is made to resolve to 127.0.0.1 reaches a loopback server from the visitor's own browser,
 * with `Host: evil.example` (and its own Origin, which would match it). The relay headers matter
 * because a reverse proxy on this machine makes everyone's requests arrive from loopback.
 */
export function isLocalRequest(req: IncomingMessage): boolean {
  if (!isLoopback(req.socket.remoteAddress)) return false;
  if (header(req, 'forwarded') !== undefined || header(req, 'x-forwarded-for') !== undefined)
    return false;
  const host = hostName(header(req, 'host'));
  return host !== null && isLoopbackHost(host);
}

/** The origin a local page's own requests come from: the Host it was asked by, over http. */
export function localOrigin(req: IncomingMessage): string | null {
  const host = header(req, 'host');
  return host && isLocalRequest(req) ? `http://${host.toLowerCase()}` : null;
}

function hostName(host: string | undefined): string | null {
  if (!host) return null;
  return URL.parse(`http://${host}`)?.hostname ?? null;
}

/**
 * Where to go after signing in: a path on this dashboard, or `/`. Anything that could lead
 * elsewhere (`//evil.example`, `/\evil.example`, a full URL, control characters) is `/`, and so
 * are the sign-in's own routes, which would loop.
 */
export function safeReturnPath(value: string | null | undefined): string {
  if (!value || value.length > 2048 || !value.startsWith('/')) return '/';
  if (value.startsWith('//') || value.includes('\\') || hasControlCharacter(value)) return '/';
  const base = 'http://slipway.invalid';
  const url = URL.parse(value, base);
  if (!url || url.origin !== base) return '/';
  if (url.pathname === '/login' || url.pathname === '/logout' || url.pathname.startsWith('/auth/'))
    return '/';
  return `${url.pathname}${url.search}`;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
