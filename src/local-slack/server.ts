import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Actors } from './actors.js';
import { renderPage, snapshot } from './page.js';
import type { ResponseUrls } from './response-url.js';
import { type LocalSlackConfig, PageClick, PageCommand, PageView } from './schema.js';
import type { SocketMode } from './socket-mode.js';
import type { State } from './state.js';
import type { createViewActors } from './view-actors.js';
import type { Views } from './views.js';
import type { WebApi } from './web-api.js';

type ViewActors = ReturnType<typeof createViewActors>;

/** Larger bodies are refused; Slack's own limits on message size are far below this. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json',
    ...headers,
  });
  res.end(text);
}

/** The slash command Slipway's manifest registers (src/chat/slack/manifest.ts). */
const SLASH_COMMAND = '/deploy';

const PAGE_ACTIONS = ['/_page/command', '/_page/click', '/_page/submit', '/_page/close'];

/**
 * Runs what the dev page asks: `/deploy …` as a slash command, anything else as a mention; a
 * click; a modal submitted or cancelled.
 */
async function pageAction(
  actors: Actors,
  viewActors: ViewActors,
  path: string,
  raw: string,
): Promise<unknown> {
  const json: unknown = JSON.parse(raw || '{}');
  if (path === '/_page/click') {
    return actors.clickButton(PageClick.parse(json));
  }
  if (path === '/_page/submit') {
    const v = PageView.parse(json);
    return viewActors.submitView({ user: v.user, viewId: v.viewId, values: v.values });
  }
  if (path === '/_page/close') {
    const v = PageView.parse(json);
    viewActors.closeView({ user: v.user, viewId: v.viewId });
    return { closed: true };
  }
  const c = PageCommand.parse(json);
  const m = /^(\/\S+)\s*([\s\S]*)$/.exec(c.text);
  if (m?.[1] && m[1] !== SLASH_COMMAND) {
    // Slack delivers only the commands an app registered, and says so for any other; it
    // never sends the app "/deploy!" (a command name has no "!").
    const force = m[1] === `${SLASH_COMMAND}!`;
    return {
      error: force
        ? `${m[1]} is not a valid command. To override a freeze, type ${SLASH_COMMAND} deploy! ${m[2] ?? ''}`.trimEnd()
        : `${m[1]} is not a valid command: this app registers ${SLASH_COMMAND}.`,
    };
  }
  if (m?.[1]) {
    return actors.slashCommand({
      user: c.user,
      channel: c.channel,
      command: m[1],
      text: m[2] ?? '',
    });
  }
  const { deliveries: _d, ...rest } = await actors.mention(c);
  return rest;
}

export function createLocalSlackServer(deps: {
  cfg: LocalSlackConfig;
  state: State;
  views: Views;
  webApi: WebApi;
  responseUrls: ResponseUrls;
  socket: SocketMode;
  actors: Actors;
  viewActors: ViewActors;
  log: Logger;
}): Server {
  const { cfg, state, views, webApi, responseUrls, socket, actors, viewActors } = deps;
  const log = deps.log.child({ component: 'local-slack-http' });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local-slack');
    const path = url.pathname;
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path);
    if (api?.[1] && (req.method === 'POST' || req.method === 'GET')) {
      const rawBody = await readBody(req);
      const answer = await webApi.handle({
        method: api[1],
        contentType: req.headers['content-type'] ?? '',
        authorization: req.headers.authorization,
        rawBody,
        query: url.searchParams,
        isGone: () => res.destroyed || req.socket.destroyed,
      });
      if (answer && !res.destroyed) send(res, answer.status, answer.body, answer.headers);
      return;
    }
    const response = /^\/response\/([0-9a-f]+)$/.exec(path);
    if (response?.[1] && req.method === 'POST') {
      const answer = responseUrls.post(response[1], await readBody(req));
      return send(res, answer.status, answer.body);
    }
    if (req.method === 'GET' && path === '/') return send(res, 200, renderPage(cfg));
    if (req.method === 'GET' && path === '/_state') {
      return send(res, 200, snapshot(cfg, state, views, url.searchParams.get('user')));
    }
    if (req.method === 'POST' && PAGE_ACTIONS.includes(path)) {
      try {
        return send(res, 200, await pageAction(actors, viewActors, path, await readBody(req)));
      } catch (err) {
        return send(res, 400, { error: err instanceof Error ? err.message : String(err) });
      }
    }
    const archive = /^\/archives\/([A-Z0-9]+)\/p\d+$/.exec(path);
    if (req.method === 'GET' && archive) return send(res, 302, '', { location: '/' });
    send(res, 404, { ok: false, error: 'not_found' });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'local-slack request failed');
      if (!res.headersSent) send(res, 500, { ok: false, error: 'internal_error' });
      else res.end();
    });
  });
  server.on('upgrade', (req, sock, head) => {
    if ((req.url ?? '').startsWith('/socket/')) socket.handleUpgrade(req, sock, head);
    else sock.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  return server;
}
