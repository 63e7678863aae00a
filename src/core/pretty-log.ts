import type { DestinationStream } from 'pino';

/**
 * Human log lines for a terminal: `14:03:07 INFO  [chat] deploy accepted  service=web`.
 * Written here rather than with pino-pretty so the image needs no extra runtime dependency and
 * lines are written in order, on the same thread (pino-pretty as a transport runs in a worker).
 * It reads pino's own JSON, so the redaction of the logger's configuration has already applied.
 */
const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};

/** Fields every line has, shown in the prefix or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'component', 'err']);

export function prettyDestination(
  out: { write(text: string): unknown },
  options: { color?: boolean } = {},
): DestinationStream {
  return {
    write(line: string) {
      out.write(`${formatLine(line, options.color ?? false)}\n`);
    },
  };
}

/** One pino JSON line as text; a line that is not JSON is passed through unchanged. */
export function formatLine(line: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level), color: '0' };
  const time = typeof entry.time === 'number' ? clock(entry.time) : '';
  const component =
    typeof entry.component === 'string' ? `${paint('90', `[${entry.component}]`)} ` : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${paint('90', `${key}=`)}${fieldValue(value)}`);
  const head = [
    `${paint('90', time)} ${paint(level.color, level.name)} ${component}${String(entry.msg ?? '')}`,
    ...fields,
  ].join('  ');
  return head + errorText(entry.err);
}

function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string')
    return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** An error's stack under the line, indented, so it reads as in Node's own output. */
function errorText(err: unknown): string {
  if (!err || typeof err !== 'object') return '';
  const { stack, message } = err as { stack?: unknown; message?: unknown };
  const text = typeof stack === 'string' ? stack : typeof message === 'string' ? message : '';
  if (!text) return '';
  return `\n${text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}`;
}
