import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CookieJar } from './cookies.js';
import type { LoginTransaction } from './oidc.js';
import type { Signer } from './signing.js';

/** How someone came to be signed in: the team's provider, or `slipway dev`'s picker. */
export type SignedInVia = 'oidc' | 'dev';

/** A signed-in person, as their signed cookie holds them; no table on the server. */
export interface Session {
  /** The core's actor id: a person key of `people:` (or, in `slipway dev`, any id the config names). */
  actor: string;
  /** The config's name for them, when it gives one. */
  name: string | null;
  via: SignedInVia;
  /** The token every action from this session carries (csrf.ts); random, one per sign-in. */
  csrf: string;
  issuedAt: Date;
  expiresAt: Date;
}

const SESSION = 'slipway_session';
const LOGIN = 'slipway_login';
/** Time to get through the provider's pages: a sign-in left longer is started again. */
const LOGIN_TTL_MS = 10 * 60_000;

export interface SessionCookies {
  read(req: IncomingMessage, now: Date): Session | null;
  /** Signs `who` in on `res` for the session lifetime; the new session, token and all. */
  write(res: ServerResponse, who: Pick<Session, 'actor' | 'name' | 'via'>, now: Date): Session;
  clear(res: ServerResponse): void;
  readLogin(req: IncomingMessage, now: Date): LoginTransaction | null;
  writeLogin(res: ServerResponse, transaction: LoginTransaction, now: Date): void;
  clearLogin(res: ServerResponse): void;
}

export function sessionCookies(jar: CookieJar, signer: Signer, lifetimeMs: number): SessionCookies {
  return {
    read(req, now) {
      const token = jar.read(req, SESSION);
      const value = token ? signer.verify(SESSION, token, now) : null;
      return value ? sessionFrom(value) : null;
    },
    write(res, who, now) {
      const session: Session = {
        ...who,
        csrf: randomBytes(32).toString('base64url'),
        issuedAt: now,
        expiresAt: new Date(now.getTime() + lifetimeMs),
      };
      const value = {
        actor: session.actor,
        name: session.name,
        via: session.via,
        csrf: session.csrf,
        iat: Math.floor(now.getTime() / 1000),
      };
      jar.set(res, SESSION, signer.sign(SESSION, value, session.expiresAt), lifetimeMs / 1000);
      return session;
    },
    clear: (res) => jar.clear(res, SESSION),
    readLogin(req, now) {
      const token = jar.read(req, LOGIN);
      const value = token ? signer.verify(LOGIN, token, now) : null;
      const { state, nonce, verifier, returnTo } = value ?? {};
      if (![state, nonce, verifier, returnTo].every((v) => typeof v === 'string')) return null;
      return { state, nonce, verifier, returnTo } as LoginTransaction;
    },
    writeLogin(res, transaction, now) {
      const expires = new Date(now.getTime() + LOGIN_TTL_MS);
      jar.set(res, LOGIN, signer.sign(LOGIN, transaction, expires), LOGIN_TTL_MS / 1000);
    },
    clearLogin: (res) => jar.clear(res, LOGIN),
  };
}

function sessionFrom(value: Record<string, unknown>): Session | null {
  const { actor, name, via, csrf, iat, exp } = value;
  if (typeof actor !== 'string' || actor === '' || typeof csrf !== 'string') return null;
  if (via !== 'oidc' && via !== 'dev') return null;
  if (typeof iat !== 'number' || typeof exp !== 'number') return null;
  return {
    actor,
    name: typeof name === 'string' ? name : null,
    via,
    csrf,
    issuedAt: new Date(iat * 1000),
    expiresAt: new Date(exp * 1000),
  };
}
