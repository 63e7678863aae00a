import { signedSlashCommand } from './slack-request.js';
import { DEV, SIGNING_SECRET } from './slipway.js';

let sent = 0;

/** Sends one signed /deploy command from the orchestrator (setup, not measurement). */
export async function sendCommand(
  url: string,
  text: string,
  channel: string,
  responseUrl: string,
  user = DEV,
): Promise<void> {
  sent += 1;
  const triggerId = `setup-${process.pid}-${Date.now()}-${sent}`;
  const { body, headers } = signedSlashCommand(SIGNING_SECRET, {
    text,
    user,
    channel,
    triggerId,
    responseUrl: `${responseUrl}/${triggerId}/${Date.now()}`,
  });
  const res = await fetch(url, { method: 'POST', headers, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`"/deploy ${text}" was answered ${res.status}`);
}

/** Polls `check` every 100 ms until it returns a value, or throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
