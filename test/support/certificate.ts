import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway self-signed X.509 certificate and its RSA key, made by the openssl command as an
 * operator would make one: PEM text of each, and the folder holding `key.pem` and `cert.pem`.
 */
export function selfSignedCertificate(commonName: string): {
  dir: string;
  key: string;
  certificate: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-cert-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
    ].concat(['-keyout', keyFile, '-out', certFile]),
    { stdio: 'ignore' },
  );
  return { dir, key: readFileSync(keyFile, 'utf8'), certificate: readFileSync(certFile, 'utf8') };
}
