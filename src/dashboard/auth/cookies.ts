import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The dashboard's cookies: HTTP-only (no script on a page can read them), SameSite=Lax (a POST
 * from another site carries none, a link from chat or the provider's redirect does), and Secure
 * when the public URL is https. Secure cookies take the `__Host-` prefix, which the browser only
 * accepts from a secure origin, for the whole host, with no Domain: a neighbour on a sibling
 * subdomain cannot plant one (developer.mozilla.org/docs/Web/HTTP/Cookies#cookie_prefixes).
 */
export interface CookieJar {
  secure: boolean;
  /** The cookie's name as sent, prefix included. */
  nameOf(base: string): string;
  read(req: IncomingMessage, base: string): string | undefined;
  set(res: ServerResponse, base: string, value: string, maxAgeSeconds: number): void;
  clear(res: ServerResponse, base: string): void;
}

export function createCookieJar(secure: boolean): CookieJar {
  const nameOf = (base: string) => (secure ? `__Host-${base}` : base);
  const append = (res: ServerResponse, line: string) => {
    const previous = res.getHeader('set-cookie');
    const lines = Array.isArray(previous) ? previous : previous ? [String(previous)] : [];
    res.setHeader('set-cookie', [...lines, line]);
  };
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  return {
    secure,
    nameOf,
    read: (req, base) => parseCookies(req.headers.cookie).get(nameOf(base)),
    set(res, base, value, maxAgeSeconds) {
      append(res, `${nameOf(base)}=${value}; Max-Age=${Math.floor(maxAgeSeconds)}; ${attributes}`);
    },
    clear(res, base) {
      append(res, `${nameOf(base)}=; Max-Age=0; ${attributes}`);
    },
  };
}

/**
 * The cookies of a `Cookie` header by name. Where a name comes twice (a cookie for a parent path
 * beside ours), the first wins: browsers send the most specific path first (RFC 6265 §5.4).
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    if (name && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}
