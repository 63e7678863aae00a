import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RespondArguments } from '@slack/bolt';
import { NotFoundError, RetryableError, ValidationError } from '../../core/errors.js';
import { retryAfterMs } from '../../core/retry-after.js';
import { ResponseUrlResult } from './web-api-schema.js';

export interface RespondOptions {
  /** How one attempt is sent; default {@link postJson}. */
  post?: PostJson;
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
  body: RespondArguments,
  options: RespondOptions = {},
): Promise<{ retriedAfterMs: number }> {
  const post = options.post ?? postJson;
  const attempts = options.attempts ?? 3;
  const base = options.baseDelayMs ?? 300;
  let retriedAfterMs = 0;
  let last = 'no attempt made';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let wait = base * 2 ** (attempt - 1);
    try {
      const res = await post(url, JSON.stringify(body), options.timeoutMs ?? 10_000);
      const text = res.text;
      if (res.status >= 200 && res.status < 300) return checkAnswer(text, retriedAfterMs);
      last = `HTTP ${res.status}`;
      if (res.status === 429) {
        const asked = retryAfterMs(res.retryAfter);
        if (asked !== undefined) {
          wait = Math.min(asked, 60_000);
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

export interface PostAnswer {
  status: number;
  text: string;
  retryAfter: string | undefined;
}

export type PostJson = (url: string, json: string, timeoutMs: number) => Promise<PostAnswer>;

// Every slash command is answered through a response_url on the same host, so the connection
// is kept and reused. Global fetch (undici) cost a third of a command's time in the
// benchmark's profile; node:http with a keep-alive agent cost about a third of that.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' }),
};

/** One POST of a JSON body; resolves with the status and body text whatever the status. */
export function postJson(url: string, json: string, timeoutMs: number): Promise<PostAnswer> {
  const target = new URL(url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    return Promise.reject(
      new ValidationError(`A response_url must be http(s), not ${target.protocol}`),
    );
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        agent: agents[target.protocol as 'http:' | 'https:'],
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(json),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(json);
  });
}
