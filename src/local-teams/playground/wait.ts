import { sleep } from '../../core/sleep.js';

export interface WaitOptions {
  timeoutMs: number;
  /** What there was instead, for the error: the page's text, the process's output. */
  seen: () => string | Promise<string>;
  intervalMs?: number;
}

/**
 * Polls `check` until it returns something, or fails after `timeoutMs` with an error naming
 * `what` was awaited and what was seen instead, so a Playground that does not come up says why.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  { timeoutMs, seen, intervalMs = 200 }: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const because = lastError instanceof Error ? `\nlast error: ${lastError.message}` : '';
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${because}\nseen:\n${await seeSafely(seen)}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** What `seen` says, or why it could not say it: an error message must not fail itself. */
export async function seeSafely(seen: () => string | Promise<string>): Promise<string> {
  try {
    return await seen();
  } catch (error) {
    return `(could not read it: ${error instanceof Error ? error.message : String(error)})`;
  }
}

/** The last `max` characters of `text`, marked as cut, so errors stay readable. */
export function tail(text: string, max = 3000): string {
  return text.length <= max ? text : `…${text.slice(-max)}`;
}
