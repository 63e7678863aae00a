import type { IncomingMessage } from 'node:http';
import { sameSecret } from '../../http/credentials.js';
import { header } from '../../http/request.js';

/** The form field and the header a page sends its session's token in. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export type CsrfCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether a request that acts came from one of the dashboard's own pages: its origin is the
 * dashboard's (what the browser says in `Origin`, else `Referer`; a browser that sends neither
 * is rare and still needs the token), and it carries the session's token, compared in constant
 * time. SameSite=Lax already keeps the session cookie off cross-site POSTs; these two hold even
 * where it does not (an older browser, a sibling subdomain, which counts as the same site).
 */
export function checkRequest(
  req: IncomingMessage,
  body: unknown,
  expected: { origin: string; token: string | null },
): CsrfCheck {
  const origin = originProblem(req, expected.origin);
  if (origin) return { ok: false, reason: origin };
  if (expected.token === null) return { ok: false, reason: 'You are not signed in.' };
  const given = tokenIn(req, body);
  if (given === undefined) {
    return {
      ok: false,
      reason: 'The request carries no form token: reload the page and try again.',
    };
  }
  if (!sameSecret(given, expected.token)) {
    return {
      ok: false,
      reason: 'The form token is not this session’s: reload the page and try again.',
    };
  }
  return { ok: true };
}

/** Why the request's origin is not `expected`, or null when it is (or the browser said nothing). */
export function originProblem(req: IncomingMessage, expected: string): string | null {
  const origin = header(req, 'origin');
  if (origin !== undefined) {
    return origin === expected ? null : `The request came from ${origin}, not from ${expected}.`;
  }
  // Sent by every current browser; "none" is a person typing the address or a bookmark.
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `The request came from another site (${site}), not from ${expected}.`;
  }
  const referer = header(req, 'referer');
  if (referer !== undefined) {
    const from = URL.parse(referer)?.origin;
    if (from !== expected)
      return `The request came from ${from ?? 'an unreadable address'}, not from ${expected}.`;
  }
  return null;
}

function tokenIn(req: IncomingMessage, body: unknown): string | undefined {
  const fromHeader = header(req, CSRF_HEADER);
  if (fromHeader) return fromHeader;
  if (typeof body !== 'object' || body === null) return undefined;
  const field = (body as Record<string, unknown>)[CSRF_FIELD];
  return typeof field === 'string' && field !== '' ? field : undefined;
}
