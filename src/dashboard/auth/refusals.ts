import type { Refusal } from './pages.js';

/** What the dashboard answers when it will not show or do something, in one place. */

const SIGN_IN_SETTINGS =
  'SLIPWAY_OIDC_ISSUER, SLIPWAY_OIDC_CLIENT_ID, SLIPWAY_OIDC_CLIENT_SECRET, SLIPWAY_PUBLIC_URL and SLIPWAY_SESSION_SECRET';

export const LOCAL_ONLY: Refusal = {
  status: 403,
  error: 'local_only',
  title: 'Only this machine',
  message: `Nobody can sign in to this dashboard, so it answers only the machine Slipway runs on. To open it from elsewhere, set ${SIGN_IN_SETTINGS} on the server: people then sign in with your OpenID provider.`,
};

export const READ_ONLY: Refusal = {
  status: 403,
  error: 'read_only',
  title: 'Read-only',
  message:
    'This dashboard is read-only: nobody can sign in to act from it. Act from chat or the CLI, or set SLIPWAY_OIDC_ISSUER (and the settings beside it) so that people sign in.',
};

export const SIGN_IN_NOT_SET_UP: Refusal = {
  status: 503,
  error: 'not_configured',
  title: 'Sign-in is not set up',
  message: `Nobody signs in to this Slipway: its dashboard is read-only, for this machine only. To let people sign in with your OpenID provider, set ${SIGN_IN_SETTINGS}.`,
};

export const NOT_HERE: Refusal = {
  status: 404,
  error: 'not_found',
  title: 'Not here',
  message: 'This Slipway does not sign people in this way.',
};

export function notSignedIn(signIn: string): Refusal {
  return {
    status: 401,
    error: 'not_signed_in',
    title: 'Not signed in',
    message: 'You are not signed in, or your sign-in has ended: sign in, then try again.',
    link: { href: signIn, text: 'Sign in' },
  };
}

export function notFromTheDashboard(reason: string): Refusal {
  return { status: 403, error: 'csrf', title: 'Not done', message: `Nothing was done. ${reason}` };
}
