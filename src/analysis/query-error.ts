import { type ExpandedQuery, lineColumn, offsetOf } from './placeholders.js';
import { PrometheusError } from './prometheus/client.js';

const POSITION = /(\d+):(\d+): parse error/;

/**
 * Where Prometheus' parse error points in the query as written: it reports a line and column
 * of the query it received, with the placeholders filled, which can be further along. Null
 * when the error names no position.
 */
export function writtenPosition(
  message: string,
  expanded: ExpandedQuery,
  written: string,
): { line: number; column: number } | null {
  const match = POSITION.exec(message);
  if (!match) return null;
  const offset = offsetOf(expanded.text, Number(match[1]), Number(match[2]));
  return lineColumn(written, expanded.writtenOffset(offset));
}

/** A refused query's error, saying where the problem is in the query as written too. */
export function withWrittenPosition(
  err: unknown,
  expanded: ExpandedQuery,
  written: string,
): unknown {
  if (!(err instanceof PrometheusError) || err.kind !== 'query') return err;
  const position = writtenPosition(err.message, expanded, written);
  const said = POSITION.exec(err.message);
  if (!position || !said) return err;
  if (position.line === Number(said[1]) && position.column === Number(said[2])) return err;
  const where = written.includes('\n')
    ? `line ${position.line}, column ${position.column}`
    : `column ${position.column}`;
  return new PrometheusError(
    'query',
    `${err.message} (at ${where} of the query as written)`,
    err.errorType,
  );
}
