import type { Logger } from 'pino';
import { RetryableError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import type { AppRef, ArgoCdClient } from './client.js';
import type { Application } from './schema.js';

export interface FollowRequest {
  client: ArgoCdClient;
  ref: AppRef;
  /** Pause between reads when polling. */
  pollMs: number;
  /** Try the event stream first. */
  stream: boolean;
  /** A stream silent this long is closed, the application read, and the stream opened again. */
  staleMs: number;
  /** Aborted when the caller stops waiting (deadline, shutdown, cancel). */
  signal: AbortSignal;
  log: Logger;
  /** Argo CD is unreachable for now; the caller tells the channel. */
  trouble(text: string): void;
}

/**
 * Shows `visit` the application each time it changes, until `visit` returns true (then true) or
 * the signal aborts (then false). The event stream is used when it works; a stream that fails
 * falls back to polling for the rest of the wait, and one that ends is opened again. Argo CD
 * being unreachable is not an answer: it is reported and waited out. A refusal (401/403/404)
 * ends the wait with its error.
 */
export async function follow(
  req: FollowRequest,
  visit: (app: Application) => boolean,
): Promise<boolean> {
  const { signal } = req;
  let streaming = req.stream;
  const read = async (): Promise<Application | null> => {
    try {
      return await req.client.get(req.ref, signal);
    } catch (err) {
      if (signal.aborted) return null;
      if (!(err instanceof RetryableError)) throw err;
      req.trouble(`waiting for Argo CD: ${err.message}`);
      return null;
    }
  };
  const first = await read();
  if (first && visit(first)) return true;
  while (!signal.aborted) {
    if (streaming) {
      const ended = await streamOnce(req, visit);
      if (ended === 'visited') return true;
      if (ended === 'failed') streaming = false;
    }
    await sleep(req.pollMs, signal);
    if (signal.aborted) break;
    const app = await read();
    if (app && visit(app)) return true;
  }
  return false;
}

async function streamOnce(
  req: FollowRequest,
  visit: (app: Application) => boolean,
): Promise<'visited' | 'ended' | 'failed'> {
  const connection = new AbortController();
  const close = () => connection.abort();
  req.signal.addEventListener('abort', close, { once: true });
  let stale = setTimeout(close, req.staleMs);
  try {
    for await (const app of req.client.watch(req.ref, connection.signal)) {
      clearTimeout(stale);
      stale = setTimeout(close, req.staleMs);
      if (visit(app)) return 'visited';
    }
    return 'ended';
  } catch (err) {
    if (connection.signal.aborted) return 'ended';
    req.log.warn(
      { reason: err instanceof Error ? err.message : String(err) },
      'argocd event stream failed; polling instead',
    );
    return 'failed';
  } finally {
    clearTimeout(stale);
    req.signal.removeEventListener('abort', close);
    connection.abort();
  }
}
