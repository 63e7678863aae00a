import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../../http/router.js';

/**
 * The few pages signing in needs (refused, signed out, who to be in `slipway dev`), standalone
 * so that they work before any dashboard page exists, with no script and no outside resource.
 */

/** `text` safe inside HTML text and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fafafa}
main{max-width:40rem;margin:3rem auto;padding:0 1rem}h1{font-size:1.5rem}
pre{background:#eee;padding:.75rem;overflow-x:auto}a{color:#0645ad}
button{font:inherit;padding:.4rem .9rem;margin:.25rem 0;cursor:pointer}
ul.people{list-style:none;padding:0}ul.people li{margin:.25rem 0}`;

/** Pages that sign people in or out must not be cached, framed or given away by the Referer. */
export const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
} as const;

/** A whole page around `body` (already HTML). */
export function renderPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Slipway</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
}

export function sendPage(res: ServerResponse, status: number, title: string, body: string): void {
  const text = renderPage(title, body);
  res.writeHead(status, {
    ...PAGE_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export interface Refusal {
  status: 400 | 401 | 403 | 404 | 502 | 503;
  /** A code for scripts, as the JSON API writes its errors. */
  error: string;
  title: string;
  /** Sentences, as plain text. */
  message: string;
  /** A link to offer: where to go next. */
  link?: { href: string; text: string };
}

/**
 * A refusal as a page for a browser, and as `{error, message}` JSON (the API's shape) for a
 * page's script that asked for JSON.
 */
export function sendRefusal(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  if (!wantsHtml(req)) {
    sendJson(res, refusal.status, { error: refusal.error, message: refusal.message });
    return;
  }
  const link = refusal.link
    ? `<p><a href="${escapeHtml(refusal.link.href)}">${escapeHtml(refusal.link.text)}</a></p>`
    : '';
  sendPage(res, refusal.status, refusal.title, `<p>${escapeHtml(refusal.message)}</p>${link}`);
}

function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html') || !accept.includes('application/json');
}

/** A 303 to `location`, which the browser follows with a GET. */
export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}
