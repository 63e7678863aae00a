import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited } from './processes.js';

/**
 * Debian's Chromium, headless, driven over the DevTools protocol with Node's own WebSocket: no
 * browser download, no playwright (chromedevtools.github.io/devtools-protocol).
 */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => {
  try {
    execFileSync(path, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

export interface BrowserPage {
  /** One DevTools command on the page. */
  send: (method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>;
  /** Evaluates `expression` in the page and returns its value. */
  evaluate: <T>(expression: string) => Promise<T>;
  /** Waits until `expression` is truthy in the page. */
  waitFor: (expression: string, timeoutMs?: number) => Promise<void>;
  /** A PNG of the viewport. */
  screenshot: () => Promise<Buffer>;
  close: () => Promise<void>;
}

/** Opens `url` in a headless Chromium of `width` × `height` CSS pixels. */
export async function openPage(url: string, width = 1200, height = 760): Promise<BrowserPage> {
  if (!CHROMIUM) throw new Error('Chromium is needed: apt-get install chromium');
  const profile = mkdtempSync(join(tmpdir(), 'slipway-chromium-'));
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--window-size=${width},${height}`,
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    const port = await devToolsPort(child);
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const target = targets.find((t) => t.type === 'page');
    if (!target) throw new Error('Chromium opened no page');
    const page = await connect(target.webSocketDebuggerUrl, async () => {
      child.kill('SIGTERM');
      await exited(child);
      rmSync(profile, { recursive: true, force: true });
    });
    await page.send('Emulation.setDeviceMetricsOverride', {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    return page;
  } catch (error) {
    child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

function devToolsPort(child: ChildProcess): Promise<number> {
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Chromium did not start:\n${stderr}`)), 30_000);
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited with ${code}:\n${stderr}`));
    });
  });
}

async function connect(wsUrl: string, shutdown: () => Promise<void>): Promise<BrowserPage> {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error(`cannot connect to ${wsUrl}`)), {
      once: true,
    });
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  ws.addEventListener('message', (event) => {
    const reply = JSON.parse(String(event.data)) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: { message: string };
    };
    const waiting = reply.id === undefined ? undefined : pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id as number);
    if (reply.error) waiting.reject(new Error(reply.error.message));
    else waiting.resolve(reply.result ?? {});
  });
  const send: BrowserPage['send'] = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async <T>(expression: string): Promise<T> => {
    const answer = (await send('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: true,
    })) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (answer.exceptionDetails) throw new Error(`${expression}: ${answer.exceptionDetails.text}`);
    return answer.result.value;
  };
  return {
    send,
    evaluate,
    waitFor: async (expression, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (await evaluate<boolean>(`Boolean(${expression})`)) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`timed out waiting for ${expression}`);
    },
    screenshot: async () => {
      const { data } = (await send('Page.captureScreenshot', { format: 'png' })) as {
        data: string;
      };
      return Buffer.from(data, 'base64');
    },
    close: async () => {
      ws.close();
      await shutdown();
    },
  };
}
