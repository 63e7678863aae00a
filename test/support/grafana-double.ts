import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Grafana's annotations HTTP API (legacy `/api/annotations`, as Grafana
 * serves it to this day: grafana.com/docs/grafana/latest/developers/http_api/annotations/ and
 * pkg/api/annotations.go). It follows the documented shapes and status codes of the calls
 * Slipway makes, refuses what Grafana refuses, records every call and injects Grafana's
 * failure modes:
 * - no `Authorization: Bearer <token>`, or another token: 401 `{"message":"Unauthorized"}`;
 *   a Viewer's token writing: 403;
 * - a body that is not JSON or has fields of the wrong type: 400 `bad request data`; an empty
 *   `text`: 400 `Failed to save annotation`;
 * - PATCH of an unknown id: 404 `Annotation not found`; an id that is not a number: 400;
 * - a `dashboardUID` Grafana does not know is ignored (the annotation belongs to the
 *   organization), as Grafana does;
 * - PATCH changes only what it is given: tags replace the old ones when present, text when not
 *   empty, time and timeEnd when positive; a timeEnd before time is swapped, as Grafana does.
 *
 * Stricter than Grafana on purpose: `time` is required and must be epoch milliseconds (a time in
 * seconds would put the annotation in January 1970, which Grafana accepts silently).
 */

export interface StoredAnnotation {
  id: number;
  time: number;
  timeEnd: number;
  tags: string[];
  text: string;
  dashboardUID: string | null;
  panelId: number;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string[]>;
  body: unknown;
  /** Scheme of the Authorization header ("bearer", "basic"), never the token. */
  auth: string | null;
  status: number;
  at: number;
}

/** An answer forced on the next matching request(s) instead of the real one. */
export interface Fault {
  method?: string;
  path?: RegExp;
  status: number;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  times?: number;
  /** The request is carried out before the fault is answered (the 5xx came after the work). */
  processed?: boolean;
}

/** A call the test expects: `verify` fails when one was not made, or another one was. */
export interface ExpectedCall {
  method: string;
  path: RegExp;
  /** How many such calls; default 1. */
  times?: number;
}

export interface GrafanaDoubleOptions {
  /** A service account token with the Editor role. */
  token: string;
  /** Viewer tokens: may read, 403 on writes. */
  readOnlyTokens?: string[];
  /** UIDs of the dashboards Grafana has. */
  dashboards?: string[];
}

export interface GrafanaDouble {
  /** Give it as GRAFANA_URL. */
  url: string;
  calls: RecordedCall[];
  annotations(): StoredAnnotation[];
  called(method: string, path?: RegExp): RecordedCall[];
  inject(fault: Fault): void;
  /** Injected faults no request met: a test that expected them to be hit fails. */
  unusedFaults(): Fault[];
  /** Declares calls the test expects; once any is, `verify` checks every call. */
  expect(...calls: ExpectedCall[]): void;
  verify(): void;
  /** Deletes an annotation as a person would in Grafana's UI. */
  remove(id: number): void;
  close(): Promise<void>;
}

/** Grafana's JSON body limit for API requests is far above what an annotation needs. */
const MAX_BODY = 1_000_000;
/** 2001-09-09 in epoch milliseconds: anything smaller is seconds, or no time at all. */
const MIN_EPOCH_MS = 1_000_000_000_000;

export async function startGrafanaDouble(options: GrafanaDoubleOptions): Promise<GrafanaDouble> {
  const calls: RecordedCall[] = [];
  const faults: (Fault & { left: number })[] = [];
  const expected: ExpectedCall[] = [];
  const store = new Map<number, StoredAnnotation>();
  const dashboards = new Set(options.dashboards ?? []);
  let nextId = 1;

  function takeFault(method: string, path: string): Fault | null {
    const index = faults.findIndex(
      (f) => (!f.method || f.method === method) && (!f.path || f.path.test(path)),
    );
    const fault = faults[index];
    if (!fault) return null;
    if (--fault.left <= 0) faults.splice(index, 1);
    return fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://grafana.local');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: unknown;
    let parsed = true;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
      parsed = false;
    }
    const header = req.headers.authorization ?? '';
    const query: Record<string, string[]> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key);
    const call: RecordedCall = {
      method,
      path: url.pathname,
      query,
      body,
      auth: header ? (header.split(' ')[0]?.toLowerCase() ?? null) : null,
      status: 0,
      at: Date.now(),
    };
    calls.push(call);
    const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };

    const token = /^Bearer (.+)$/i.exec(header)?.[1];
    const editor = token === options.token;
    if (!editor && !(token && options.readOnlyTokens?.includes(token))) {
      return answer(401, { message: 'Unauthorized' });
    }
    const fault = takeFault(method, url.pathname);
    if (fault && !fault.processed) return answerFault(fault);
    const [status, json] = route(method, url, body, parsed, editor);
    if (fault) return answerFault(fault);
    return answer(status, json);

    function answerFault(f: Fault) {
      const headers: Record<string, string> =
        f.retryAfter === undefined ? {} : { 'retry-after': String(f.retryAfter) };
      return answer(f.status, { message: 'injected failure' }, headers);
    }
  }

  function route(
    method: string,
    url: URL,
    body: unknown,
    parsed: boolean,
    editor: boolean,
  ): [number, unknown] {
    const one = /^\/api\/annotations\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === '/api/annotations' && method === 'POST') {
      if (!editor) return forbidden('annotations:create');
      return create(body, parsed);
    }
    if (url.pathname === '/api/annotations' && method === 'GET') return [200, find(url)];
    if (one && (method === 'PATCH' || method === 'GET')) {
      const id = Number(one[1]);
      if (!Number.isInteger(id)) return [400, { message: 'annotationId is invalid' }];
      const found = store.get(id);
      if (!found) return [404, { message: 'Annotation not found' }];
      if (method === 'GET') return [200, dto(found)];
      if (!editor) return forbidden('annotations:write');
      return patch(found, body, parsed);
    }
    return [404, { message: 'Not found' }];
  }

  function create(body: unknown, parsed: boolean): [number, unknown] {
    const cmd = fields(body, parsed);
    if (!cmd) return [400, { message: 'bad request data' }];
    if (!cmd.text) return [400, { message: 'Failed to save annotation' }];
    if (cmd.time === undefined || cmd.time < MIN_EPOCH_MS) {
      return [400, { message: 'time must be epoch milliseconds (double)' }];
    }
    const known = cmd.dashboardUID !== undefined && dashboards.has(cmd.dashboardUID);
    const timeEnd = cmd.timeEnd && cmd.timeEnd > 0 ? cmd.timeEnd : cmd.time;
    const annotation: StoredAnnotation = {
      id: nextId++,
      time: Math.min(cmd.time, timeEnd),
      timeEnd: Math.max(cmd.time, timeEnd),
      tags: cmd.tags ?? [],
      text: cmd.text,
      dashboardUID: known ? (cmd.dashboardUID ?? null) : null,
      panelId: known ? (cmd.panelId ?? 0) : 0,
    };
    store.set(annotation.id, annotation);
    return [200, { message: 'Annotation added', id: annotation.id }];
  }

  function patch(found: StoredAnnotation, body: unknown, parsed: boolean): [number, unknown] {
    const cmd = fields(body, parsed);
    if (!cmd) return [400, { message: 'bad request data' }];
    if (cmd.tags) found.tags = cmd.tags;
    if (cmd.text) found.text = cmd.text;
    if (cmd.time && cmd.time > 0) found.time = cmd.time;
    if (cmd.timeEnd && cmd.timeEnd > 0) found.timeEnd = cmd.timeEnd;
    if (found.timeEnd < found.time) [found.time, found.timeEnd] = [found.timeEnd, found.time];
    return [200, { message: 'Annotation patched' }];
  }

  /** Tags all given (AND, as without matchAny), newest first, as Grafana orders them. */
  function find(url: URL): unknown[] {
    const tags = url.searchParams.getAll('tags');
    const limit = Number(url.searchParams.get('limit') ?? 100);
    return [...store.values()]
      .filter((a) => tags.every((tag) => a.tags.includes(tag)))
      .sort((a, b) => b.time - a.time)
      .slice(0, limit)
      .map(dto);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    annotations: () => [...store.values()].map((a) => ({ ...a, tags: [...a.tags] })),
    called: (method, path) =>
      calls.filter((c) => c.method === method && (!path || path.test(c.path))),
    inject: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    unusedFaults: () => faults.map(({ left: _left, ...fault }) => fault),
    expect: (...more) => expected.push(...more),
    verify() {
      const problems: string[] = [];
      for (const e of expected) {
        const made = calls.filter((c) => c.method === e.method && e.path.test(c.path)).length;
        if (made !== (e.times ?? 1)) {
          problems.push(`${e.method} ${e.path}: expected ${e.times ?? 1} call(s), got ${made}`);
        }
      }
      for (const c of calls) {
        if (!expected.some((e) => e.method === c.method && e.path.test(c.path))) {
          problems.push(`unexpected ${c.method} ${c.path}`);
        }
      }
      if (problems.length > 0) throw new Error(`Grafana double: ${problems.join('; ')}`);
    },
    remove: (id) => void store.delete(id),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The fields Slipway sends, type-checked as Go's JSON binding does: a wrong type is a 400. */
function fields(
  body: unknown,
  parsed: boolean,
): {
  time?: number;
  timeEnd?: number;
  tags?: string[];
  text?: string;
  dashboardUID?: string;
  panelId?: number;
} | null {
  if (!parsed || body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  const int = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isInteger(v));
  const str = (v: unknown) => v === undefined || typeof v === 'string';
  const tagsOk =
    b.tags === undefined ||
    b.tags === null ||
    (Array.isArray(b.tags) && b.tags.every((t) => typeof t === 'string'));
  if (!int(b.time) || !int(b.timeEnd) || !int(b.panelId) || !str(b.text) || !str(b.dashboardUID))
    return null;
  if (!tagsOk) return null;
  return {
    ...(b.time === undefined ? {} : { time: b.time as number }),
    ...(b.timeEnd === undefined ? {} : { timeEnd: b.timeEnd as number }),
    ...(Array.isArray(b.tags) ? { tags: b.tags as string[] } : {}),
    ...(b.text === undefined ? {} : { text: b.text as string }),
    ...(b.dashboardUID === undefined ? {} : { dashboardUID: b.dashboardUID as string }),
    ...(b.panelId === undefined ? {} : { panelId: b.panelId as number }),
  };
}

function dto(a: StoredAnnotation) {
  return {
    id: a.id,
    alertId: 0,
    dashboardUID: a.dashboardUID,
    panelId: a.panelId,
    time: a.time,
    timeEnd: a.timeEnd,
    tags: a.tags,
    text: a.text,
  };
}

function forbidden(action: string): [number, unknown] {
  return [
    403,
    {
      accessErrorId: 'ACE0000000000',
      message: `You'll need additional permissions to perform this action. Permissions needed: ${action}`,
      title: 'Access denied',
    },
  ];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
