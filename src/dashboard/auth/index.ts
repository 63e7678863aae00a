import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { configuredPeople } from '../../chat/identity.js';
import type { Config } from '../../config/schema.js';
import type { DashboardSettings } from '../../core/dashboard-settings.js';
import { createCookieJar } from './cookies.js';
import { checkRequest } from './csrf.js';
import { isLocalRequest, localOrigin, safeReturnPath } from './local.js';
import { createOidcLogin } from './oidc.js';
import { type Refusal, redirect, sendRefusal } from './pages.js';
import { LOCAL_ONLY, notFromTheDashboard, notSignedIn, READ_ONLY } from './refusals.js';
import { authRoutes } from './routes.js';
import { type Session, type SessionCookies, sessionCookies } from './session.js';
import { createSigner } from './signing.js';
import type { Actor, AuthMode, DashboardAuth, DevLogin } from './types.js';

export { CSRF_FIELD, CSRF_HEADER } from './csrf.js';
export { readForm } from './form.js';
export { escapeHtml } from './pages.js';
export type * from './types.js';

export interface DashboardAuthDeps {
  /** `settings.dashboard`; unset reads as nobody signing in (local, read-only). */
  settings: DashboardSettings | undefined;
  config: Config;
  log: Logger;
  /** The clock sessions expire by; tests move it. */
  now?: () => Date;
}

const DEFAULT_LIFETIME_MS = 12 * 3_600_000;

/** What every part of the dashboard's sign-in shares, settled once from the settings. */
interface AuthContext {
  mode: AuthMode;
  config: Config;
  publicUrl: string | undefined;
  cookies: SessionCookies;
  /** Who `slipway dev` may be: everyone the config names (actor id → name). */
  devPeople: ReadonlyMap<string, string | null>;
  now: () => Date;
  log: Logger;
}

/**
 * Who is looking at the dashboard and who may act from it (README.md beside this file). Built
 * once per app from its settings and config; the pages call what it returns.
 */
export function createDashboardAuth(deps: DashboardAuthDeps): DashboardAuth {
  const ctx = authContext(deps);
  const auth = authApi(ctx);
  const oidc = deps.settings?.oidc ?? null;
  const publicUrl = ctx.publicUrl;
  const routes = authRoutes({
    ...ctx,
    auth,
    oidc:
      oidc && publicUrl
        ? {
            settings: oidc,
            login: createOidcLogin(oidc, `${publicUrl}/auth/callback`, ctx.log),
            publicUrl,
          }
        : null,
    lookRefusal: (req) => lookRefusal(ctx, req),
  });
  return { ...auth, routes };
}

function authContext(deps: DashboardAuthDeps): AuthContext {
  const settings = deps.settings;
  const mode: AuthMode = settings?.oidc ? 'oidc' : settings?.devLogin ? 'dev' : 'local';
  // Without a configured secret (dev, local), one for this process: its sessions end with it.
  const secrets = settings?.sessionSecrets.length
    ? settings.sessionSecrets
    : [randomBytes(32).toString('base64url')];
  const secure = mode === 'oidc' && settings?.publicUrl?.startsWith('https:') === true;
  const lifetime = settings?.sessionLifetimeMs ?? DEFAULT_LIFETIME_MS;
  return {
    mode,
    config: deps.config,
    publicUrl: settings?.publicUrl,
    cookies: sessionCookies(createCookieJar(secure), createSigner(secrets), lifetime),
    devPeople: new Map(configuredPeople(deps.config).map((p) => [p.id, p.name ?? null])),
    now: deps.now ?? (() => new Date()),
    log: deps.log.child({ component: 'dashboard-auth' }),
  };
}

function authApi(ctx: AuthContext): Omit<DashboardAuth, 'routes'> {
  const auth: Omit<DashboardAuth, 'routes'> = {
    mode: ctx.mode,
    sessionOf: (req) => sessionOf(ctx, req),
    viewerOf(req, res) {
      const refused = lookRefusal(ctx, req);
      if (refused) return refuse(req, res, refused);
      const session = sessionOf(ctx, req);
      if (session) return { actor: actorOf(session), session, readOnly: false };
      if (ctx.mode === 'oidc') return askToSignIn(ctx, req, res);
      return { actor: null, session: null, readOnly: true };
    },
    requireActor(req, res) {
      const session = sessionOf(ctx, req);
      return session ? actorOf(session) : askToSignIn(ctx, req, res);
    },
    csrfTokenFor: (session) => session.csrf,
    checkCsrf(req, body) {
      const origin = ctx.mode === 'oidc' ? (ctx.publicUrl ?? null) : localOrigin(req);
      if (!origin) return { ok: false, reason: 'The request did not come from this machine.' };
      return checkRequest(req, body, { origin, token: sessionOf(ctx, req)?.csrf ?? null });
    },
    requireAction(req, res, body) {
      const actor = auth.requireActor(req, res);
      if (!actor) return null;
      const check = auth.checkCsrf(req, body);
      if (check.ok) return actor;
      const fields = { actor: actor.id, path: req.url, reason: check.reason };
      ctx.log.warn(fields, 'action refused: not from the dashboard');
      return refuse(req, res, notFromTheDashboard(check.reason));
    },
    devLogin: (req, res, actorId) => devLogin(ctx, req, res, actorId),
  };
  return auth;
}

/** The session `req` carries, when it is valid here and now and names someone who still counts. */
function sessionOf(ctx: AuthContext, req: IncomingMessage): Session | null {
  if (ctx.mode === 'local' || (ctx.mode === 'dev' && !isLocalRequest(req))) return null;
  const session = ctx.cookies.read(req, ctx.now());
  if (!session) return null;
  // A sign-in counts only in the mode that made it, for someone the config still names.
  const known =
    session.via === 'oidc'
      ? ctx.mode === 'oidc' && ctx.config.people[session.actor] !== undefined
      : ctx.mode === 'dev' && ctx.devPeople.has(session.actor);
  return known ? session : null;
}

/** Null when `req` may look at pages; otherwise what to answer. */
function lookRefusal(ctx: AuthContext, req: IncomingMessage): Refusal | null {
  return ctx.mode === 'oidc' || isLocalRequest(req) ? null : LOCAL_ONLY;
}

/** Answers someone who is not signed in where signing in is needed. */
function askToSignIn(ctx: AuthContext, req: IncomingMessage, res: ServerResponse): null {
  const refused = lookRefusal(ctx, req) ?? (ctx.mode === 'local' ? READ_ONLY : null);
  if (refused) return refuse(req, res, refused);
  const signIn = ctx.mode === 'oidc' ? '/login' : '/auth/dev';
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(req, res, notSignedIn(signIn));
  const back = safeReturnPath(req.url);
  redirect(res, back === '/' ? signIn : `${signIn}?return=${encodeURIComponent(back)}`);
  return null;
}

function devLogin(
  ctx: AuthContext,
  req: IncomingMessage,
  res: ServerResponse,
  actorId: string,
): DevLogin {
  if (ctx.mode !== 'dev')
    return { ok: false, reason: 'Picking who to be is for slipway dev only.' };
  if (!isLocalRequest(req)) return { ok: false, reason: 'Only this machine may pick who to be.' };
  if (!ctx.devPeople.has(actorId))
    return { ok: false, reason: `${actorId} is nobody the config names.` };
  const who = { actor: actorId, name: ctx.devPeople.get(actorId) ?? null, via: 'dev' } as const;
  const session = ctx.cookies.write(res, who, ctx.now());
  ctx.log.info({ actor: actorId }, 'signed in for slipway dev');
  return { ok: true, session };
}

function actorOf(session: Session): Actor {
  return { id: session.actor, name: session.name, via: session.via };
}

/** Answers `refusal` and returns null, the "answered already" of viewerOf and requireActor. */
function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): null {
  sendRefusal(req, res, refusal);
  return null;
}
