import type { IncomingMessage, ServerResponse } from 'node:http';
import { SCRIPT_PATH, STYLESHEET_PATH } from './assets.js';
import { CSRF_FIELD, type Viewer } from './auth/index.js';
import { type Html, html } from './html.js';
import type { DashboardDeps, Section } from './types.js';

/** The dashboard's pages may load only their own stylesheet and script, and be framed by nobody. */
export const DASHBOARD_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
} as const;

/** The header a page's script sends to get only the page's <main>, to swap in live. */
export const FRAGMENT_HEADER = 'x-slipway-fragment';

const SECTIONS: ReadonlyArray<{ section: Section; href: string; label: string }> = [
  { section: 'overview', href: '/', label: 'Overview' },
  { section: 'inbox', href: '/inbox', label: 'Inbox' },
  { section: 'history', href: '/history', label: 'History' },
  { section: 'dora', href: '/dora', label: 'DORA' },
];

export interface PageContent {
  title: string;
  /** Which navigation entry is current; null for pages under none (a deployment). */
  section: Section | null;
  /**
   * What the page shows, for live updates: `all` (any deployment, lock or approval), or
   * `deployment:<id>` (that one deployment); null for a page that does not change by itself.
   */
  live: string | null;
  main: Html;
  status?: number;
}

/** The form token of `viewer`'s session, as the hidden field every form carries. */
export function csrfField(deps: Pick<DashboardDeps, 'auth'>, viewer: Viewer): Html {
  const token = viewer.session ? deps.auth.csrfTokenFor(viewer.session) : '';
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

/**
 * Answers a page: the whole document, or only its <main> when the page's own script asks for
 * it to update in place.
 */
export function sendDashboardPage(
  req: IncomingMessage,
  res: ServerResponse,
  deps: Pick<DashboardDeps, 'auth'>,
  viewer: Viewer,
  page: PageContent,
): void {
  const fragment = req.headers[FRAGMENT_HEADER] === 'main';
  const text = fragment ? page.main.text : renderDocument(deps, viewer, page).text;
  res.writeHead(page.status ?? 200, {
    ...DASHBOARD_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    vary: FRAGMENT_HEADER,
    ...(fragment ? { [FRAGMENT_HEADER]: 'main' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}

function renderDocument(
  deps: Pick<DashboardDeps, 'auth'>,
  viewer: Viewer,
  page: PageContent,
): Html {
  const nav = SECTIONS.map(
    (s) =>
      html`<li><a href="${s.href}"${s.section === page.section ? html` aria-current="page"` : ''}>${s.label}</a></li>`,
  );
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · Slipway</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<script src="${SCRIPT_PATH}" defer></script>
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/">Slipway</a>
<nav class="sections" aria-label="Sections"><ul>${nav}</ul></nav>
<div class="who">${whoIsLooking(deps, viewer)}</div>
</header>
<main id="main" tabindex="-1"${page.live ? html` data-live="${page.live}"` : ''}>${page.main}</main>
<div id="live-status" class="visually-hidden" role="status" aria-live="polite"></div>
</body></html>`;
}

function whoIsLooking(deps: Pick<DashboardDeps, 'auth'>, viewer: Viewer): Html {
  if (viewer.actor) {
    const name = viewer.actor.name ?? viewer.actor.id;
    return html`<span>Signed in as <strong>${name}</strong></span>
<form method="post" action="/logout">${csrfField(deps, viewer)}<button type="submit">Sign out</button></form>`;
  }
  if (deps.auth.mode === 'dev') return html`<a href="/auth/dev">Pick who you are</a>`;
  if (deps.auth.mode === 'local')
    return html`<span title="Set SLIPWAY_OIDC_ISSUER to let people sign in and act from here">Read-only: this machine only</span>`;
  return html`<a href="/login">Sign in</a>`;
}
