import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, pino } from 'pino';
import { prettyDestination } from './pretty-log.js';

/**
 * Paths pino blanks out wherever they appear in a log object. Secrets are redacted by this
 * configuration, not by care at each call site (STYLE.md, "Logging").
 */
export const REDACT_PATHS = [
  'token',
  'secret',
  'password',
  'authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.cookie',
  'headers["x-slack-signature"]',
  'headers["x-slipway-signature"]',
  'headers["x-hub-signature-256"]',
  'req.headers.authorization',
  'env.SLACK_SIGNING_SECRET',
  'env.SLACK_BOT_TOKEN',
  'env.SLACK_APP_TOKEN',
  'env.SLIPWAY_WEBHOOK_SECRET',
  'env.GITHUB_TOKEN',
  'env.GITHUB_WEBHOOK_SECRET',
  'env.ARGOCD_TOKEN',
  'env.JENKINS_TOKEN',
  'env.GRAFANA_TOKEN',
  'env.GITHUB_APP_PRIVATE_KEY',
  'env.SLIPWAY_OIDC_CLIENT_SECRET',
  'env.SLIPWAY_SESSION_SECRET',
  'env.SLIPWAY_SESSION_SECRET_PREVIOUS',
  'env.SLIPWAY_API_TOKEN',
  'env.SLIPWAY_DATABASE_URL',
  'databaseUrl',
];

/** `json`: one JSON object a line (collectors parse it); `pretty`: text for a person. */
export type LogFormat = 'json' | 'pretty';

/**
 * SLIPWAY_LOG_FORMAT when set, else pretty at a terminal and JSON everywhere else (a container,
 * a pipe, systemd's journal), so log collectors keep getting JSON without being told.
 */
export function resolveLogFormat(
  chosen: LogFormat | undefined,
  out: { isTTY?: boolean } = process.stdout,
): LogFormat {
  return chosen ?? (out.isTTY ? 'pretty' : 'json');
}

/**
 * JSON to stdout unless `destination` or `format: 'pretty'` says otherwise; pretty text is
 * coloured when stdout is a terminal and NO_COLOR (no-color.org) is not set.
 */
export function createLogger(
  options: { level?: string; name?: string; format?: LogFormat } = {},
  destination?: DestinationStream,
): Logger {
  const out =
    destination ??
    (options.format === 'pretty'
      ? prettyDestination(process.stdout, {
          color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
        })
      : undefined);
  return pino(
    {
      name: options.name ?? 'slipway',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin: traceFields,
    },
    out,
  );
}

/**
 * `trace_id` and `span_id` of the active span on every line logged inside one, so a log line
 * leads to its trace (field names of the OpenTelemetry log data model). Nothing when tracing is
 * off: the API's no-op context has no span.
 */
export function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return {};
  return {
    trace_id: sc.traceId,
    span_id: sc.spanId,
    trace_flags: sc.traceFlags.toString(16).padStart(2, '0'),
  };
}

/** `postgres://user:pass@host/db` → `postgres://user:***@host/db`, for log lines and errors. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
