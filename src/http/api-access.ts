import type { IncomingMessage } from 'node:http';
import { bearerToken, sameSecret } from './credentials.js';

export interface ApiRefusal {
  status: 401 | 403;
  error: string;
  message: string;
}

/**
 * Who may read `/api`: with SLIPWAY_API_TOKEN, whoever sends it as a bearer token; without one,
 * only this machine. The answers name requesters, reasons and Slack trigger ids, which are not
 * for anyone who can reach the port.
 */
export function apiRefusal(req: IncomingMessage, token: string | undefined): ApiRefusal | null {
  if (token) {
    if (sameSecret(bearerToken(req.headers.authorization) ?? '', token)) return null;
    return {
      status: 401,
      error: 'unauthorized',
      message: 'Send Authorization: Bearer <SLIPWAY_API_TOKEN>.',
    };
  }
  if (isLoopback(req.socket.remoteAddress)) return null;
  return {
    status: 403,
    error: 'api_token_not_set',
    message:
      'The API answers only this machine while SLIPWAY_API_TOKEN is unset: set SLIPWAY_API_TOKEN on the server and send it as Authorization: Bearer <token>.',
  };
}

/** 127.0.0.0/8, ::1, and IPv4 loopback as an IPv6 socket reports it (::ffff:127.x.y.z). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1';
}
