import { writeFileSync } from 'node:fs';

/**
 * A CPU profile of a running Node process through its inspector (started with
 * `--inspect=127.0.0.1:0`, whose "Debugger listening on ws://…" line is in `output`), taken over
 * the Chrome DevTools Protocol: unlike `--cpu-prof`, it does not depend on the process exiting
 * cleanly. `stop(path)` writes a `.cpuprofile` that DevTools and VS Code open.
 */
export async function startInspectorProfile(
  output: string,
): Promise<{ stop(path: string): Promise<void> }> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
  if (!url) throw new Error('no inspector URL in the process output (--inspect=127.0.0.1:0?)');
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  let next = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 1000 });
  await call('Profiler.start');
  return {
    async stop(path) {
      const result = (await call('Profiler.stop')) as { profile: unknown };
      writeFileSync(path, JSON.stringify(result.profile));
      ws.close();
    },
  };
}
