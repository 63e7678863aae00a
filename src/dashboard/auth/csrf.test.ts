import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkRequest, originProblem } from './csrf.js';

const ORIGIN = 'https://slipway.example.com';
const TOKEN = 'the-session-token';

function req(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

const expected = { origin: ORIGIN, token: TOKEN };

describe('CSRF checks', () => {
  it("passes the dashboard's own request with the session's token, in a header or the form", () => {
    expect(checkRequest(req({ origin: ORIGIN, 'x-csrf-token': TOKEN }), {}, expected)).toEqual({
      ok: true,
    });
    expect(checkRequest(req({ origin: ORIGIN }), { _csrf: TOKEN }, expected)).toEqual({ ok: true });
  });

  it('refuses a missing, wrong or differently long token, and any token without a session', () => {
    const from = req({ origin: ORIGIN });
    expect(checkRequest(from, {}, expected)).toEqual({
      ok: false,
      reason: 'The request carries no form token: reload the page and try again.',
    });
    for (const token of ['the-session-tokem', 'x', `${TOKEN}x`, '']) {
      const check = checkRequest(from, { _csrf: token }, expected);
      expect(check.ok).toBe(false);
    }
    expect(checkRequest(from, { _csrf: 42 }, expected).ok).toBe(false);
    expect(checkRequest(from, { _csrf: TOKEN }, { origin: ORIGIN, token: null })).toEqual({
      ok: false,
      reason: 'You are not signed in.',
    });
  });

  it('refuses another origin even with the right token', () => {
    const sibling = req({ origin: 'https://wiki.example.com', 'x-csrf-token': TOKEN });
    expect(checkRequest(sibling, {}, expected)).toEqual({
      ok: false,
      reason: `The request came from https://wiki.example.com, not from ${ORIGIN}.`,
    });
    expect(originProblem(req({ origin: 'null' }), ORIGIN)).toContain('came from null');
    expect(originProblem(req({ origin: 'http://slipway.example.com' }), ORIGIN)).not.toBeNull();
  });

  it('without Origin, reads Sec-Fetch-Site, then Referer; with neither, leaves it to the token', () => {
    expect(originProblem(req({ 'sec-fetch-site': 'same-site' }), ORIGIN)).toBe(
      `The request came from another site (same-site), not from ${ORIGIN}.`,
    );
    expect(originProblem(req({ 'sec-fetch-site': 'cross-site' }), ORIGIN)).not.toBeNull();
    expect(originProblem(req({ 'sec-fetch-site': 'same-origin' }), ORIGIN)).toBeNull();
    expect(originProblem(req({ referer: 'https://evil.example/page' }), ORIGIN)).toBe(
      `The request came from https://evil.example, not from ${ORIGIN}.`,
    );
    expect(originProblem(req({ referer: `${ORIGIN}/deployments/1` }), ORIGIN)).toBeNull();
    expect(originProblem(req({}), ORIGIN)).toBeNull();
    expect(checkRequest(req({}), {}, expected).ok).toBe(false);
  });
});
