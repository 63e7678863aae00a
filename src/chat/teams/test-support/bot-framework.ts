import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The channel side of Bot Framework authentication, as small as a test needs: an RSA key
 * published at `/v1/.well-known/keys` beside `/v1/.well-known/openidconfiguration` (the SDK
 * derives the first from the second), and tokens signed with it, or deliberately not.
 */
export interface BotFrameworkKeys {
  openIdMetadataUrl: string;
  /** How many times the keys were fetched. */
  fetches(): number;
  token(claims: Record<string, unknown>, options?: { forged?: boolean; kid?: string }): string;
  close(): Promise<void>;
}

export const ISSUER = 'https://api.botframework.com';

export async function startBotFrameworkKeys(): Promise<BotFrameworkKeys> {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key-1';
  let fetched = 0;
  const server: Server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const body =
      req.url === '/v1/.well-known/keys'
        ? { keys: [{ ...key.publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }] }
        : req.url === '/v1/.well-known/openidconfiguration'
          ? { issuer: ISSUER, jwks_uri: `${base}/v1/.well-known/keys` }
          : null;
    if (req.url === '/v1/.well-known/keys') fetched++;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    openIdMetadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    fetches: () => fetched,
    token(claims, options = {}) {
      return signRs256(
        options.forged ? other.privateKey : key.privateKey,
        options.kid ?? kid,
        claims,
      );
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function signRs256(privateKey: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'RS256', typ: 'JWT', kid })}.${part(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}
