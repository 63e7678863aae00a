import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { OidcSettings } from '../../core/dashboard-settings.js';
import type { Route } from '../../http/router.js';
import { CSRF_FIELD, originProblem } from './csrf.js';
import { readForm } from './form.js';
import { identify } from './identity.js';
import { localOrigin, safeReturnPath } from './local.js';
import { type OidcLogin, signInProblem } from './oidc.js';
import { escapeHtml, type Refusal, redirect, sendPage, sendRefusal } from './pages.js';
import { NOT_HERE, SIGN_IN_NOT_SET_UP } from './refusals.js';
import type { SessionCookies } from './session.js';
import type { DashboardAuth } from './types.js';

export interface AuthRouteDeps {
  auth: Omit<DashboardAuth, 'routes'>;
  cookies: SessionCookies;
  oidc: { settings: OidcSettings; login: OidcLogin; publicUrl: string } | null;
  config: Config;
  /** Who `slipway dev` may sign in as: actor id → name. */
  devPeople: ReadonlyMap<string, string | null>;
  lookRefusal: (req: IncomingMessage) => Refusal | null;
  now: () => Date;
  log: Logger;
}

/** Signing in and out: the provider's round trip, or `slipway dev`'s picker. */
export function authRoutes(deps: AuthRouteDeps): Route[] {
  return [
    { method: 'GET', path: '/login', handler: (req, res, _p, url) => login(deps, req, res, url) },
    { method: 'GET', path: '/auth/callback', handler: (req, res) => callback(deps, req, res) },
    { method: 'POST', path: '/logout', handler: (req, res) => logout(deps, req, res) },
    { method: 'GET', path: '/auth/signed-out', handler: (_req, res) => signedOut(deps, res) },
    {
      method: 'GET',
      path: '/auth/dev',
      handler: (req, res, _p, url) => picker(deps, req, res, url),
    },
    { method: 'POST', path: '/auth/dev', handler: (req, res) => pick(deps, req, res) },
  ];
}

async function login(deps: AuthRouteDeps, req: IncomingMessage, res: ServerResponse, url: URL) {
  const returnTo = safeReturnPath(url.searchParams.get('return'));
  const { oidc, auth } = deps;
  if (!oidc) {
    if (auth.mode === 'dev')
      return redirect(res, `/auth/dev?return=${encodeURIComponent(returnTo)}`);
    return sendRefusal(req, res, SIGN_IN_NOT_SET_UP);
  }
  if (auth.sessionOf(req)) return redirect(res, returnTo);
  let started: Awaited<ReturnType<OidcLogin['start']>>;
  try {
    started = await oidc.login.start(returnTo);
  } catch {
    // Logged where it was fetched (oidc.ts), with the cause.
    return sendRefusal(req, res, {
      status: 502,
      error: 'provider_unreachable',
      title: 'Sign-in is unavailable',
      message: `Slipway could not read the sign-in provider's settings from ${oidc.settings.issuer}. Try again in a moment; if it lasts, the server's log says why.`,
      link: { href: `/login?return=${encodeURIComponent(returnTo)}`, text: 'Try again' },
    });
  }
  deps.cookies.writeLogin(res, started.transaction, deps.now());
  redirect(res, started.url.href);
}

async function callback(deps: AuthRouteDeps, req: IncomingMessage, res: ServerResponse) {
  const { oidc, cookies, log } = deps;
  if (!oidc) return sendRefusal(req, res, NOT_HERE);
  const transaction = cookies.readLogin(req, deps.now());
  // One use: whatever happens next, this round trip is over.
  cookies.clearLogin(res);
  if (!transaction) {
    return sendRefusal(req, res, {
      status: 400,
      error: 'sign_in_expired',
      title: 'Sign-in expired',
      message:
        'This sign-in was started more than ten minutes ago, or in another browser. Start again.',
      link: { href: '/login', text: 'Sign in' },
    });
  }
  const again = `/login?return=${encodeURIComponent(transaction.returnTo)}`;
  const wanted = oidc.settings.claim ? [oidc.settings.claim] : ['email', 'email_verified'];
  let claims: Awaited<ReturnType<OidcLogin['finish']>>;
  try {
    claims = await oidc.login.finish(new URL(req.url ?? '/', oidc.publicUrl), transaction, wanted);
  } catch (err) {
    log.warn({ err }, 'sign-in failed');
    return sendRefusal(req, res, {
      status: 400,
      error: 'sign_in_failed',
      title: 'Sign-in failed',
      message: signInProblem(err),
      link: { href: again, text: 'Try again' },
    });
  }
  const who = identify(deps.config, claims, oidc.settings.claim);
  if (!who.ok) {
    // Whoever held this browser's session before has just proved to be someone else.
    cookies.clear(res);
    log.warn(
      { identity: who.identity, reason: who.reason },
      'sign-in refused: not one of the people',
    );
    return sendPage(res, 403, 'Not one of this Slipway’s people', unknownPerson(who));
  }
  cookies.write(res, { actor: who.person, name: who.name, via: 'oidc' }, deps.now());
  log.info({ actor: who.person }, 'signed in');
  redirect(res, transaction.returnTo);
}

function unknownPerson(who: { identity: string | null; reason: string; fix: string | null }) {
  const as = who.identity
    ? `<p>You signed in as <strong>${escapeHtml(who.identity)}</strong>.</p>`
    : '';
  const fix = who.fix
    ? `<p>An admin can add you to <code>slipway.yaml</code>:</p><pre>${escapeHtml(who.fix)}</pre>`
    : '';
  return `${as}<p>${escapeHtml(who.reason)} You are not signed in to Slipway, and can neither look nor act here until then.</p>${fix}<p><a href="/login">Sign in as someone else</a></p>`;
}

async function logout(deps: AuthRouteDeps, req: IncomingMessage, res: ServerResponse) {
  const body = await readForm(req);
  // Without a session there is nothing to protect: the cookie, if any, is cleared all the same.
  if (deps.auth.sessionOf(req)) {
    const check = deps.auth.checkCsrf(req, body);
    if (!check.ok) {
      return sendRefusal(req, res, {
        status: 403,
        error: 'csrf',
        title: 'Still signed in',
        message: `You are still signed in. ${check.reason}`,
      });
    }
  }
  deps.cookies.clear(res);
  redirect(res, '/auth/signed-out');
}

function signedOut(deps: AuthRouteDeps, res: ServerResponse) {
  const signIn =
    deps.auth.mode === 'oidc' ? '/login' : deps.auth.mode === 'dev' ? '/auth/dev' : '/';
  const provider =
    deps.auth.mode === 'oidc'
      ? ' Your sign-in at your organisation’s provider is its own: sign out there too on a shared computer.'
      : '';
  sendPage(
    res,
    200,
    'Signed out',
    `<p>You are signed out of Slipway.${provider}</p><p><a href="${signIn}">Sign in again</a></p>`,
  );
}

function picker(deps: AuthRouteDeps, req: IncomingMessage, res: ServerResponse, url: URL) {
  if (deps.auth.mode !== 'dev') return sendRefusal(req, res, NOT_HERE);
  const refused = deps.lookRefusal(req);
  if (refused) return sendRefusal(req, res, refused);
  const returnTo = escapeHtml(safeReturnPath(url.searchParams.get('return')));
  const session = deps.auth.sessionOf(req);
  const current = session
    ? `<p>You are <strong>${escapeHtml(session.name ?? session.actor)}</strong> (${escapeHtml(session.actor)}).</p>
<form method="post" action="/logout"><input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(session.csrf)}"><button type="submit">Sign out</button></form>`
    : '<p>Nobody is picked: the dashboard is read-only until you pick someone.</p>';
  const people = [...deps.devPeople]
    .map(
      ([id, name]) => `<li><form method="post" action="/auth/dev">
<input type="hidden" name="person" value="${escapeHtml(id)}"><input type="hidden" name="return" value="${returnTo}">
<button type="submit">${escapeHtml(name ? `${name} (${id})` : id)}</button></form></li>`,
    )
    .join('\n');
  const list = people
    ? `<ul class="people">${people}</ul>`
    : '<p>The config names nobody: add people under <code>people:</code> in slipway.yaml.</p>';
  sendPage(
    res,
    200,
    'Who are you?',
    `${current}<p>slipway dev: act on the dashboard as any person the config names. Policy still decides what they may do.</p>${list}`,
  );
}

async function pick(deps: AuthRouteDeps, req: IncomingMessage, res: ServerResponse) {
  if (deps.auth.mode !== 'dev') return sendRefusal(req, res, NOT_HERE);
  const body = await readForm(req);
  const origin = localOrigin(req);
  // No session yet, so no token: the origin alone says the pick came from the picker, so
  // another site cannot sign this browser in as someone else.
  const problem = origin ? originProblem(req, origin) : 'Only this machine may pick who to be.';
  const picked = problem
    ? ({ ok: false, reason: problem } as const)
    : deps.auth.devLogin(req, res, typeof body.person === 'string' ? body.person : '');
  if (!picked.ok) {
    return sendRefusal(req, res, {
      status: 403,
      error: 'not_picked',
      title: 'Not signed in',
      message: picked.reason,
      link: { href: '/auth/dev', text: 'Pick again' },
    });
  }
  redirect(res, safeReturnPath(typeof body.return === 'string' ? body.return : '/'));
}
