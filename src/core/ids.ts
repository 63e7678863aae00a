import { randomBytes, randomUUID } from 'node:crypto';

/** Short ids people can read aloud and paste: `d-1a2b3c4d5e6f`. */
export function newDeploymentId(): string {
  return `d-${randomBytes(6).toString('hex')}`;
}

/** Same shape as a deployment id, told apart by its prefix: `r-1a2b3c4d5e6f`. */
export function newRefusalId(): string {
  return `r-${randomBytes(6).toString('hex')}`;
}

export function newCorrelationId(): string {
  return randomUUID();
}

/** Identity of this process as a lease holder: host, pid and a random part. */
export function newProcessId(hostname: string): string {
  return `${hostname}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
