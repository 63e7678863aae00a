import { writeFileSync } from 'node:fs';

/** A Chrome DevTools Protocol session with a Node process started with `--inspect=127.0.0.1:0`. */
export interface InspectorSession {
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

/** Connects to the inspector whose "Debugger listening on ws://…" line is in `output`. */
export async function connectInspector(output: string): Promise<InspectorSession> {
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
    if (message.id === undefined) return;
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  return {
    call: (method, params = {}) =>
      new Promise<unknown>((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/**
 * The V8 heap in use (bytes) right after a full collection: what the process really keeps, where
 * the heap's low points between collections left to V8 swing by tens of MiB with their timing.
 */
export async function liveHeapBytes(session: InspectorSession): Promise<number> {
  await session.call('HeapProfiler.collectGarbage');
  const answer = (await session.call('Runtime.evaluate', {
    expression: 'process.memoryUsage().heapUsed',
    returnByValue: true,
  })) as { result?: { value?: unknown } };
  const value = answer.result?.value;
  if (typeof value !== 'number') throw new Error('the inspector did not answer heapUsed');
  return value;
}

/**
 * A CPU profile of a running Node process through its inspector, taken over the Chrome DevTools
 * Protocol: unlike `--cpu-prof`, it does not depend on the process exiting cleanly. `stop(path)`
 * writes a `.cpuprofile` that DevTools and VS Code open.
 */
export async function startInspectorProfile(
  output: string,
): Promise<{ stop(path: string): Promise<void> }> {
  const session = await connectInspector(output);
  await session.call('Profiler.enable');
  await session.call('Profiler.setSamplingInterval', { interval: 1000 });
  await session.call('Profiler.start');
  return {
    async stop(path) {
      const result = (await session.call('Profiler.stop')) as { profile: unknown };
      writeFileSync(path, JSON.stringify(result.profile));
      session.close();
    },
  };
}
