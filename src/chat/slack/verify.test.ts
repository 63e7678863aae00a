import { createHmac } from 'node:crypto';
import { verifySlackRequest } from '@slack/bolt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifySlackSignature } from './verify.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1_764_000_000_000;

function sign(body: string, timestamp: string, secret = SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function ours(body: string, signature: string | undefined, timestamp: string | undefined) {
  return verifySlackSignature({ signingSecret: SECRET, body, signature, timestamp, nowMs: NOW });
}

/** Bolt's verifier, the SDK's reading of the same rules: null when it accepts. */
function bolts(body: string, signature: string, timestamp: string): string | null {
  try {
    verifySlackRequest({
      signingSecret: SECRET,
      body,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': Number(timestamp) },
      nowMilliseconds: NOW,
    });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('Slack request signatures', () => {
  it('accepts the example from Slack’s documentation', () => {
    // docs.slack.dev/authentication/verifying-requests-from-slack (its secret, body and signature).
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
    const result = verifySlackSignature({
      signingSecret: SECRET,
      body,
      signature,
      timestamp: '1531420618',
      nowMs: 1531420618 * 1000 + 30_000,
    });
    expect(result).toBeNull();
  });

  it('refuses what is forged, tampered, stale, from the future or malformed, saying why', () => {
    const ts = String(NOW / 1000);
    const body = 'command=%2Fdeploy&text=web+1.0.0+to+staging';
    expect(ours(body, sign(body, ts), ts)).toBeNull();
    expect(ours(body, sign(body, ts, 'another-secret'), ts)).toMatch(/Signature mismatch/);
    expect(ours(`${body}x`, sign(body, ts), ts)).toMatch(/Signature mismatch/);
    const old = String(NOW / 1000 - 301);
    expect(ours(body, sign(body, old), old)).toMatch(/stale/);
    const ahead = String(NOW / 1000 + 301);
    expect(ours(body, sign(body, ahead), ahead)).toMatch(/more than 5 minutes from now/);
    expect(ours(body, sign(body, ts).replace('v0=', 'v1='), ts)).toMatch(/only v0/);
    expect(ours(body, 'v0=abc', ts)).toMatch(/v0= followed by 64 hex digits/);
    expect(ours(body, sign(body, ts), '12x')).toMatch(/not a number/);
    expect(ours(body, undefined, ts)).toMatch(/Missing/);
    expect(ours(body, sign(body, ts), undefined)).toMatch(/Missing/);
  });

  it('agrees with Bolt’s verifySlackRequest on any body, signature and timestamp up to now', () => {
    const nowSec = NOW / 1000;
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: nowSec - 600, max: nowSec }),
        fc.constantFrom('good', 'other-secret', 'other-body', 'truncated'),
        (body, when, how) => {
          const ts = String(when);
          const signature =
            how === 'good'
              ? sign(body, ts)
              : how === 'other-secret'
                ? sign(body, ts, 'x')
                : how === 'other-body'
                  ? sign(`${body}!`, ts)
                  : sign(body, ts).slice(0, 20);
          expect(ours(body, signature, ts) === null).toBe(bolts(body, signature, ts) === null);
        },
      ),
      { numRuns: 500 },
    );
  });
});
