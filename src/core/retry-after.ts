/**
 * How long a server asks to be left alone, from its `Retry-After` header: seconds, or an HTTP
 * date (RFC 9110 §10.2.3), as a wait in milliseconds; undefined when absent or unreadable. Slack,
 * the Bot Connector, Microsoft's identity platform, GitHub and Argo CD all answer 429 (some also
 * 503) with it.
 */
export function retryAfterMs(value: unknown, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const text = String(raw).trim();
  if (text === '') return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
