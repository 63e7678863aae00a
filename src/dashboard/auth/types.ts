import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../../http/router.js';
import type { CsrfCheck } from './csrf.js';
import type { Session, SignedInVia } from './session.js';

export type { CsrfCheck, Session, SignedInVia };

/**
 * How the dashboard knows who is looking:
 * - `oidc`: everyone signs in through the team's OpenID provider; signed-in people act.
 * - `dev`: `slipway dev`; this machine only, and whoever uses it picks who to act as.
 * - `local`: nobody signs in; this machine only, read-only.
 */
export type AuthMode = 'oidc' | 'dev' | 'local';

/** Someone who may act: the core's actor id, as the engine and policy take it. */
export interface Actor {
  id: string;
  name: string | null;
  via: SignedInVia;
}

/** Who is looking at a page, and whether they may act from it. */
export interface Viewer {
  /** Null when nobody is signed in (the read-only local dashboard, or dev before a pick). */
  actor: Actor | null;
  session: Session | null;
  /** True when the page should offer no actions. */
  readOnly: boolean;
}

export type DevLogin = { ok: true; session: Session } | { ok: false; reason: string };

/** What the dashboard's pages use; one per app, built by `createDashboardAuth`. */
export interface DashboardAuth {
  mode: AuthMode;
  /** `GET /login`, `GET /auth/callback`, `POST /logout`, `GET /auth/signed-out`, `/auth/dev`. */
  routes: Route[];
  /** The valid session a request carries, or null (none, forged, expired, or for nobody now). */
  sessionOf(req: IncomingMessage): Session | null;
  /**
   * For every page: who is looking, or null after answering (a redirect to sign in, or 403 for
   * a client that is not this machine while nobody can sign in).
   */
  viewerOf(req: IncomingMessage, res: ServerResponse): Viewer | null;
  /** Who is acting, or null after answering (a redirect to sign in, 401, or 403 read-only). */
  requireActor(req: IncomingMessage, res: ServerResponse): Actor | null;
  /** The token the session's forms carry in `_csrf` (and scripts in `X-CSRF-Token`). */
  csrfTokenFor(session: Session): string;
  /** Whether an action came from the dashboard's own page: origin and the session's token. */
  checkCsrf(req: IncomingMessage, body: unknown): CsrfCheck;
  /**
   * For every route that acts (any method but GET): `requireActor`, then `checkCsrf` on the
   * parsed body; null after answering 401 or 403, with nothing done.
   */
  requireAction(req: IncomingMessage, res: ServerResponse, body: unknown): Actor | null;
  /** `slipway dev` only, from this machine only: signs the browser in as `actorId`. */
  devLogin(req: IncomingMessage, res: ServerResponse, actorId: string): DevLogin;
}
