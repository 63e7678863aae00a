import type { IncomingMessage, ServerResponse } from 'node:http';
import { isFinal } from '../core/deployment.js';
import type { EngineEvent } from '../engine/index.js';
import type { Route } from '../http/router.js';
import { stateLabel } from './format.js';
import { readOutput } from './output.js';
import type { DashboardDeps } from './types.js';

/** Comments that keep an idle stream open through proxies that cut silent connections. */
const HEARTBEAT_MS = 20_000;
/** How often a running deployment's output is read for its page. */
const OUTPUT_POLL_MS = 1_000;

interface Stream {
  send(event: string, data: unknown): void;
  ended(): boolean;
  end(): void;
}

export interface LiveUpdates {
  routes: Route[];
  /** Ends every open stream (shutdown): browsers reconnect to whichever server answers next. */
  close(): void;
}

/**
 * Server-sent events for the pages: `change` when something a page shows changed (the page then
 * fetches its <main> again), and a deployment's output as it is written.
 */
export function createLiveUpdates(deps: DashboardDeps): LiveUpdates {
  const open = new Set<() => void>();
  const stream = (req: IncomingMessage, res: ServerResponse): Stream | null => {
    if (!deps.auth.viewerOf(req, res)) return null;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    const heartbeat = setInterval(() => res.write(': still here\n\n'), HEARTBEAT_MS);
    const end = () => {
      clearInterval(heartbeat);
      open.delete(end);
      if (!res.writableEnded) res.end();
    };
    open.add(end);
    req.on('close', end);
    res.on('close', end);
    return {
      send(event, data) {
        if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      ended: () => res.writableEnded,
      end,
    };
  };
  return {
    routes: [
      {
        method: 'GET',
        path: '/events',
        handler: (req, res, _params, url) => {
          const topic = url.searchParams.get('topic') ?? 'all';
          const live = stream(req, res);
          if (!live) return;
          const off = deps.engine.events.on((event) => {
            if (concerns(topic, event)) live.send('change', { say: sayOf(event) });
          });
          res.on('close', off);
        },
      },
      {
        method: 'GET',
        path: '/deployments/:id/output',
        handler: (req, res, params) => followOutput(deps, params.id ?? '', stream(req, res)),
      },
    ],
    close() {
      for (const end of [...open]) end();
    },
  };
}

/** Sends the deployment's output as it grows, until its runs end or the reader goes away. */
async function followOutput(deps: DashboardDeps, id: string, live: Stream | null): Promise<void> {
  if (!live) return;
  let sent = '';
  while (!live.ended()) {
    const d = await deps.store.getDeployment(id);
    if (!d) break;
    const out = await readOutput(deps, d);
    // Output only grows; if a driver's text changed under us, the page refetches it whole.
    if (out && out.text.length > sent.length) {
      const from = out.text.startsWith(sent) ? sent.length : 0;
      live.send('output', { from, text: out.text.slice(from) });
      sent = out.text;
    }
    if (isFinal(d.state) && !out?.running) break;
    await new Promise((resolve) => setTimeout(resolve, OUTPUT_POLL_MS));
  }
  live.send('end', {});
  live.end();
}

function concerns(topic: string, event: EngineEvent): boolean {
  if (topic === 'all') return true;
  if (!topic.startsWith('deployment:') || event.type === 'lock') return false;
  const id = topic.slice('deployment:'.length);
  return event.deployment.id === id || (event.type === 'promotion' && event.promoted.id === id);
}

/** What a screen reader hears when the page updates: only what finished or waits on people. */
function sayOf(event: EngineEvent): string | null {
  if (event.type === 'lock') {
    const what = event.service ? `${event.service} in ${event.environment}` : event.environment;
    return `${what} ${event.released ? 'unlocked' : 'locked'}`;
  }
  if (event.type !== 'transition') return null;
  const d = event.deployment;
  if (!isFinal(d.state) && d.state !== 'awaiting_approval') return null;
  return `${d.service} ${d.version} in ${d.environment}: ${stateLabel(d.state)}`;
}
