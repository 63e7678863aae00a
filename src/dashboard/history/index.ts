import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../../http/router.js';
import { namesFor } from '../format.js';
import { DASHBOARD_HEADERS, sendDashboardPage } from '../layout.js';
import type { DashboardDeps } from '../types.js';
import { exportRow, toCsv, toJson } from './export.js';
import { type FieldErrors, readFilters, storeQuery } from './filters.js';
import { EXPORT_MAX, historyMain, PAGE_SIZE } from './page.js';
import { type HistoryEntry, readPage, readUpTo } from './read.js';

/**
 * History and audit: every deployment and every refused request, filtered, fifty at a time, and
 * downloadable as CSV or JSON with the same filters and the same access as the page.
 */
export function historyRoutes(deps: DashboardDeps): Route[] {
  return [
    { method: 'GET', path: '/history', handler: (req, res, _p, url) => page(deps, req, res, url) },
    {
      method: 'GET',
      path: '/history.csv',
      handler: (req, res, _p, url) => download(deps, req, res, url, 'csv'),
    },
    {
      method: 'GET',
      path: '/history.json',
      handler: (req, res, _p, url) => download(deps, req, res, url, 'json'),
    },
  ];
}

async function page(
  deps: DashboardDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const viewer = deps.auth.viewerOf(req, res);
  if (!viewer) return;
  const { filters, errors } = readFilters(url.searchParams);
  const invalid = Object.keys(errors).length > 0;
  const now = deps.now();
  const query = invalid ? null : storeQuery(deps.config, filters, now);
  const found = query
    ? await readPage(deps.store, query, PAGE_SIZE)
    : { entries: null, next: null };
  const nameOf = await namesFor(deps, peopleOf(found.entries ?? []));
  const searchedFrom = query?.searchedFrom ?? null;
  sendDashboardPage(req, res, deps, viewer, {
    title: 'History',
    section: 'history',
    live: 'all',
    status: invalid ? 400 : 200,
    main: historyMain(deps.config, { filters, errors, ...found, searchedFrom, nameOf, now }),
  });
}

async function download(
  deps: DashboardDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  format: 'csv' | 'json',
): Promise<void> {
  const viewer = deps.auth.viewerOf(req, res);
  if (!viewer) return;
  const { filters, errors } = readFilters(url.searchParams);
  if (Object.keys(errors).length > 0) return refuseFilters(req, res, format, errors);
  const now = deps.now();
  const query = storeQuery(deps.config, filters, now);
  const { entries, truncated } = await readUpTo(deps.store, query, EXPORT_MAX);
  const nameOf = await namesFor(deps, peopleOf(entries));
  const rows = entries.map((e) => exportRow(e, nameOf));
  const body =
    format === 'csv'
      ? toCsv(rows)
      : toJson(rows, {
          filters,
          searchedFrom: query.searchedFrom,
          generatedAt: now,
          limit: EXPORT_MAX,
          truncated,
        });
  const name = `slipway-history-${now.toISOString().slice(0, 10)}.${format}`;
  send(req, res, 200, body, {
    'content-type':
      format === 'csv'
        ? 'text/csv; charset=utf-8; header=present'
        : 'application/json; charset=utf-8',
    'content-disposition': `attachment; filename="${name}"`,
    // Whoever reads the file can tell a cut list from a whole one without counting rows.
    'x-slipway-truncated': String(truncated),
  });
}

function refuseFilters(
  req: IncomingMessage,
  res: ServerResponse,
  format: 'csv' | 'json',
  errors: FieldErrors,
): void {
  const lines = Object.entries(errors).map(([field, message]) => `${field}: ${message}`);
  const body =
    format === 'json'
      ? `${JSON.stringify({ error: 'invalid_filter', message: 'Some filters could not be read.', fields: errors })}\n`
      : `Some filters could not be read, so nothing was exported:\n${lines.join('\n')}\n`;
  send(req, res, 400, body, {
    'content-type':
      format === 'json' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
  });
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string>,
): void {
  res.writeHead(status, {
    ...DASHBOARD_HEADERS,
    ...headers,
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function peopleOf(entries: readonly HistoryEntry[]): string[] {
  return entries.map((e) => (e.type === 'deployment' ? e.deployment.requestedBy : e.refusal.actor));
}
