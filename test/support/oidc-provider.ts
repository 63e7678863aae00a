import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Page } from 'playwright-core';

/**
 * panva's oidc-provider (OpenID Certified) on loopback, for tests that sign in to Slipway's
 * dashboard through a real OpenID provider: the authorization code flow with PKCE required, its
 * own development login and consent pages (any password; the login is the account id), and
 * `email`/`email_verified` in UserInfo only, as a provider that follows the spec to the letter
 * sends them when an access token is issued.
 *
 *   const idp = await startOidcProvider({
 *     redirectUri: 'http://127.0.0.1:3000/auth/callback',
 *     accounts: [{ id: 'alice', email: 'alice@example.com' }],
 *   });
 *   // SLIPWAY_OIDC_ISSUER=idp.issuer, _CLIENT_ID=idp.clientId, _CLIENT_SECRET=idp.clientSecret
 *   await page.goto('http://127.0.0.1:3000/login');
 *   await signInAtProvider(page, 'alice');
 *
 * It listens on 127.0.0.2, another site than Slipway's 127.0.0.1 to the browser: cookies are
 * kept per host name, not per port, so the two never see each other's, as with a real provider.
 */
export interface TestAccount {
  /** What to type as the login on the provider's page; the `sub` claim. */
  id: string;
  email?: string;
  /** Default true. */
  emailVerified?: boolean;
  name?: string;
  preferredUsername?: string;
}

export interface OidcProviderOptions {
  redirectUri: string;
  accounts: TestAccount[];
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Every request the provider answered, as `METHOD path` without the query. */
  requests(): string[];
  close(): Promise<void>;
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const seen: string[] = [];
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503).end();
  };
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${(req.url ?? '/').split('?')[0]}`);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const issuer = `http://127.0.0.2:${(server.address() as AddressInfo).port}`;
  const clientId = 'slipway-dashboard';
  const clientSecret = 'a-client-secret-for-the-test-provider';
  const accounts = new Map(options.accounts.map((account) => [account.id, account]));
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // Required of every client, so a sign-in without a code challenge fails here.
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    findAccount: (_ctx, id) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          ...(account.email
            ? { email: account.email, email_verified: account.emailVerified ?? true }
            : {}),
          ...(account.name ? { name: account.name } : {}),
          ...(account.preferredUsername ? { preferred_username: account.preferredUsername } : {}),
        }),
      };
    },
    cookies: { keys: ['a-cookie-key-for-the-test-provider'] },
    // Set, so the provider does not note each default it falls back to.
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  });
  handle = provider.callback();
  return {
    issuer,
    clientId,
    clientSecret,
    requests: () => [...seen],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Goes through the provider's own pages on `page`, already sent there by Slipway's /login: the
 * login form as `login` (the password is not checked), then the consent screen.
 */
export async function signInAtProvider(page: Page, login: string): Promise<void> {
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}
