import type { RequestListener } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from './certificate.js';

/**
 * An HTTPS server on a throwaway certificate for `localhost`, listening on a free port of
 * 127.0.0.1: the stand-in for an API server whose clients keep connections open. It counts the
 * TLS connections it accepted, which is how a test tells a kept-alive connection from new ones.
 */
export interface TlsStandIn {
  port: number;
  /** The certificate's PEM, for a client that checks it (as a kubeconfig's CA data). */
  certificate: string;
  /** TLS connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startTlsStandIn(handler: RequestListener): Promise<TlsStandIn> {
  const { key, certificate } = selfSignedCertificate('localhost');
  const server = createServer({ key, cert: certificate }, handler);
  let connections = 0;
  server.on('secureConnection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    certificate,
    connections: () => connections,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
