import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Json } from './argocd-controller.js';

/**
 * The bytes argocd-server writes on `GET /api/v1/stream/applications`, read in argo-cd at
 * 37ee0097cf851bc2dd7665fc081bbce61a7e836e (VERSION 3.6.0) and the modules it pins:
 *
 * - pkg/apiclient/application/forwarder_overwrite.go, init: the Watch forwarder is
 *   `http.NewStreamForwarder` of github.com/argoproj/pkg/v2 v2.0.1, grpc/http/forwarders.go.
 * - NewStreamForwarder: server-sent events only when `Accept` equals `text/event-stream`
 *   (`req.Header.Get("Accept") == "text/event-stream"`), with a `:\n` keep-alive every 15 s
 *   (withKeepalive); otherwise `application/json`. An event whose bytes equal the last sent for
 *   the same application is not sent again (dataByKey).
 * - messageMarshaler.Marshal: encoding/json of `{"result": event}`, for SSE wrapped as
 *   `data: %s \n\n` (fmt.Sprintf, a space before the blank line).
 * - grpc-gateway v1.16.0 runtime/handler.go, ForwardResponseStream: each message, then the
 *   delimiter `\n`; handleForwardResponseStreamError: one `{"error": StreamError}` chunk, no
 *   delimiter, with the HTTP status set from it when nothing was written yet.
 * - runtime/proto_errors.go, DefaultHTTPStreamErrorHandler, and internal/errors.pb.go: the
 *   StreamError's JSON names grpc_code, http_code, message, http_status.
 */

export type Framing = 'sse' | 'json';

/** `sse` when the request asks exactly as EventSource (and Slipway's driver) do. */
export function framingOf(req: IncomingMessage): Framing {
  return req.headers.accept === 'text/event-stream' ? 'sse' : 'json';
}

/** One message as messageMarshaler.Marshal returns it (before the stream's delimiter). */
export function marshal(framing: Framing, chunk: Json): string {
  const json = goJson(chunk);
  return framing === 'sse' ? `data: ${json} \n\n` : json;
}

/** The delimiter ForwardResponseStream writes after every message (not after an error). */
export const DELIMITER = '\n';

/** The SSE keep-alive of withKeepalive: a comment line. */
export const KEEPALIVE = ':\n';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** grpc-gateway's StreamError for a gRPC status (DefaultHTTPStreamErrorHandler). */
export function streamError(httpCode: number, grpcCode: number, message: string): Json {
  return {
    error: {
      grpc_code: grpcCode,
      http_code: httpCode,
      message,
      http_status: STATUS_TEXT[httpCode] ?? '',
    },
  };
}

/**
 * JSON as Go's json.Marshal writes it, which argocd-server uses for answers and events
 * (util/grpc/json.go, forwarders.go): <, > and & escaped (HTML-safe), and U+2028, U+2029 too.
 */
export function goJson(value: Json): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export interface StreamWriter {
  framing: Framing;
  /** A result chunk, unless it repeats the last one sent for the same application. */
  event(type: string, app: Json): void;
  /** An error chunk; the stream ends after it, as the gateway's does. */
  fail(error: Json): void;
}

/** Opens the response as ForwardResponseStream does and returns how to write events to it. */
export function openStream(
  req: IncomingMessage,
  res: ServerResponse,
  options: { keepaliveMs: number; check(chunk: Json): void },
): StreamWriter {
  const framing = framingOf(req);
  const sse = framing === 'sse';
  res.writeHead(200, {
    'content-type': sse ? 'text/event-stream' : 'application/json',
    ...(sse ? { 'x-content-type-options': 'nosniff' } : {}),
  });
  res.flushHeaders();
  const keepalive = sse ? setInterval(() => res.write(KEEPALIVE), options.keepaliveMs) : null;
  keepalive?.unref();
  const stop = () => keepalive && clearInterval(keepalive);
  req.on('close', stop);
  const last = new Map<string, string>();
  return {
    framing,
    event(type, app) {
      const chunk = { result: { type, application: app } };
      options.check(chunk);
      const bytes = marshal(framing, chunk);
      const name = app.metadata.name as string;
      if (last.get(name) === bytes) return;
      last.set(name, bytes);
      res.write(bytes);
      res.write(DELIMITER);
    },
    fail(error) {
      options.check(error);
      stop();
      res.end(marshal(framing, error));
    },
  };
}

/** A stream refused before any event: the status from the error, the error chunk as the body. */
export function refuseStream(req: IncomingMessage, res: ServerResponse, error: Json): number {
  const framing = framingOf(req);
  const status = error.error.http_code as number;
  res.writeHead(status, {
    'content-type': framing === 'sse' ? 'text/event-stream' : 'application/json',
  });
  res.end(marshal(framing, error));
  return status;
}
