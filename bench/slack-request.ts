import { createHmac } from 'node:crypto';

/** What a slash command looks like on the wire, as Slack sends it to the Request URL. */
export interface SlashCommand {
  text: string;
  user: string;
  channel: string;
  /** Unique per request: Slipway dedupes deliveries by trigger_id. */
  triggerId: string;
  /** Where the app answers privately; the benchmark's sink counts what arrives there. */
  responseUrl: string;
  command?: string;
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/**
 * A form-encoded slash command with the fields Slack sends (docs.slack.dev/interactivity/
 * implementing-slash-commands), signed as Slack signs: `v0=` + hex HMAC-SHA256 of
 * `v0:<timestamp>:<body>` with the signing secret (authentication/verifying-requests-from-slack).
 */
export function signedSlashCommand(
  secret: string,
  c: SlashCommand,
  nowMs = Date.now(),
): SignedRequest {
  const body = new URLSearchParams({
    token: 'bench-verification-token',
    team_id: 'T0BENCH',
    team_domain: 'slipway-bench',
    channel_id: c.channel,
    channel_name: c.channel.toLowerCase(),
    user_id: c.user,
    user_name: c.user.toLowerCase(),
    command: c.command ?? '/deploy',
    text: c.text,
    api_app_id: 'A0BENCH',
    is_enterprise_install: 'false',
    response_url: c.responseUrl,
    trigger_id: c.triggerId,
  }).toString();
  const timestamp = Math.floor(nowMs / 1000);
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': `v0=${signature}`,
    },
  };
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
