import { NotFoundError, RetryableError, ValidationError } from '../../core/errors.js';
import { ResponseUrlResult } from './web-api-schema.js';

export interface RespondOptions {
  fetch?: typeof fetch;
  /** Attempts in all, counting the first. Default 3. */
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
}

/**
 * POSTs a JSON message to a response_url (docs.slack.dev/interactivity/handling-user-interaction#message_responses).
 * 5xx, network errors and timeouts are retried with backoff; a 429 waits for Retry-After. A
 * 404 means the URL expired (Slack accepts five answers within 30 minutes).
 */
export async function postToResponseUrl(
  url: string,
  body: Record<string, unknown>,
  options: RespondOptions = {},
): Promise<{ retriedAfterMs: number }> {
  const doFetch = options.fetch ?? fetch;
  const attempts = options.attempts ?? 3;
  const base = options.baseDelayMs ?? 300;
  let retriedAfterMs = 0;
  let last = 'no attempt made';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let wait = base * 2 ** (attempt - 1);
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const text = await res.text();
      if (res.ok) return checkAnswer(text, retriedAfterMs);
      last = `HTTP ${res.status}`;
      if (res.status === 429) {
        const seconds = Number.parseInt(res.headers.get('retry-after') ?? '', 10);
        if (Number.isFinite(seconds)) {
          wait = Math.min(seconds * 1000, 60_000);
          retriedAfterMs += wait;
        }
      } else if (res.status < 500) {
        if (res.status === 404 || res.status === 410) {
          throw new NotFoundError(
            'The response_url has expired (Slack accepts answers for 30 minutes): the answer was not delivered.',
          );
        }
        throw new ValidationError(
          `The response_url refused the answer: HTTP ${res.status} ${text.slice(0, 200)}`,
        );
      }
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof ValidationError) throw err;
      last = err instanceof Error ? err.message : String(err);
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  throw new RetryableError(
    `Could not answer through the response_url after ${attempts} attempts: ${last}`,
  );
}

function checkAnswer(text: string, retriedAfterMs: number): { retriedAfterMs: number } {
  if (text.trim() === '' || text.trim() === 'ok') return { retriedAfterMs };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { retriedAfterMs };
  }
  const parsed = ResponseUrlResult.safeParse(json);
  if (parsed.success && !parsed.data.ok) {
    throw new ValidationError(`The response_url refused the answer: ${parsed.data.error}`);
  }
  return { retriedAfterMs };
}
