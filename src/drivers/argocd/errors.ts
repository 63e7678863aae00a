import { RetryableError, SlipwayError } from '../../core/errors.js';
import { ErrorBody, StreamMessage } from './schema.js';

/** Why Argo CD said no, for callers that react to one refusal in particular. */
export type Refusal =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  /** Another operation is already in progress on the application. */
  | 'busy'
  /** Rollback refused because automated sync is on. */
  | 'auto_sync'
  | 'invalid';

/** A refusal from Argo CD's API, told as a sentence a person can act on. Not worth retrying. */
export class ArgoCdError extends SlipwayError {
  override readonly code = 'argocd_refused';
  override readonly status = 502;
  constructor(
    message: string,
    readonly refusal: Refusal,
    /** HTTP status Argo CD answered with. */
    readonly httpStatus: number,
  ) {
    super(message, { refusal, httpStatus });
  }
}

/** What the driver was doing, for the sentence an error turns into. */
export interface Attempt {
  /** The RBAC action Argo CD checks (argocd-rbac-cm: `p, <role>, applications, <action>, …`). */
  action: 'get' | 'update' | 'sync';
  /** What was attempted, as a verb phrase: "read", "set the version of", "sync", "roll back". */
  doing: string;
  application: string;
  appNamespace?: string | undefined;
  project?: string | undefined;
  server: string;
}

/** An answer that was not 2xx, before it is explained. */
export class HttpFailure extends Error {
  constructor(
    readonly httpStatus: number,
    readonly body: string,
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${httpStatus}`);
  }
}

/** Turns what a request threw into an ArgoCdError or a RetryableError (kept when already one). */
export function explain(err: unknown, attempt: Attempt): SlipwayError {
  if (err instanceof SlipwayError) return err;
  const app = appName(attempt);
  if (!(err instanceof HttpFailure)) {
    if (err instanceof Error && err.name === 'TimeoutError') {
      return new RetryableError(
        `Argo CD at ${attempt.server} did not answer in time when Slipway tried to ${attempt.doing} ${app}.`,
      );
    }
    const cause = err instanceof Error ? causeText(err) : String(err);
    return new RetryableError(
      `Cannot reach Argo CD at ${attempt.server} (${cause}); check ARGOCD_SERVER and that the Argo CD API server is up.`,
    );
  }
  const said = messageOf(err.body);
  const status = err.httpStatus;
  if (status === 401) {
    return new ArgoCdError(
      `Argo CD at ${attempt.server} rejected Slipway's token (401${said ? `: ${said}` : ''}): set ARGOCD_TOKEN (or ARGOCD_TOKEN_FILE) to a valid API token, e.g. from "argocd account generate-token --account slipway".`,
      'unauthorized',
      401,
    );
  }
  if (status === 403) return forbidden(attempt, said);
  if (status === 404) {
    return new ArgoCdError(
      `Argo CD has no application ${app}${where(attempt)}: fix "application"${attempt.appNamespace ? ' or "appNamespace"' : ''} in the argocd options.`,
      'not_found',
      404,
    );
  }
  if (status === 429 || status >= 500) {
    return new RetryableError(
      `Argo CD at ${attempt.server} answered ${status} when Slipway tried to ${attempt.doing} ${app}${said ? `: ${said}` : ''}.`,
      err.retryAfterMs,
    );
  }
  if (/another operation is already in progress/i.test(said)) {
    return new ArgoCdError(
      `Another operation is already in progress on ${app}: wait for it, or terminate it in Argo CD.`,
      'busy',
      status,
    );
  }
  if (/auto-sync is enabled/i.test(said)) {
    return new ArgoCdError(
      `Argo CD refuses to roll back ${app} while automated sync is on: disable automated sync on ${app} (spec.syncPolicy.automated) and roll back again, or roll forward by deploying the previous version.`,
      'auto_sync',
      status,
    );
  }
  return new ArgoCdError(
    `Argo CD refused to ${attempt.doing} ${app} (${status}): ${said || 'no reason given'}.`,
    'invalid',
    status,
  );
}

function forbidden(attempt: Attempt, said: string): ArgoCdError {
  const app = appName(attempt);
  if (/sync window/i.test(said)) {
    return new ArgoCdError(
      `Argo CD blocks syncing ${app} now: a sync window of its project is closed (${said}). Wait for the window to open, or allow manual syncs in the window.`,
      'forbidden',
      403,
    );
  }
  const object = `${attempt.project ?? '<project>'}/${attempt.appNamespace ? `${attempt.appNamespace}/` : ''}${attempt.application}`;
  // Argo CD names the action it checked: a rollback needs "rollback" instead of "sync" where
  // argocd-cm sets server.rbac.rollback.enforce.enable (server/application: Rollback).
  const action = /^permission denied: applications, ([a-z-]+),/.exec(said)?.[1] ?? attempt.action;
  // Without a project, Argo CD answers 403 for an application that does not exist, so as not to
  // tell who may see what (server/application: getApplicationEnforceRBACClient).
  const orMissing = attempt.project
    ? ''
    : `, or there is no application ${app} (Argo CD answers 403 then too; set "project" in the argocd options to tell the two apart)`;
  return new ArgoCdError(
    `Slipway's Argo CD account may not ${action} application ${app}${said ? ` (${said})` : ''}: allow it in argocd-rbac-cm, e.g. "p, role:slipway, applications, ${action}, ${object}, allow"${orMissing}.`,
    'forbidden',
    403,
  );
}

function appName(attempt: Attempt): string {
  return attempt.appNamespace
    ? `${attempt.appNamespace}/${attempt.application}`
    : attempt.application;
}

function where(attempt: Attempt): string {
  return attempt.project ? ` in project ${attempt.project}` : '';
}

/**
 * The message of a grpc-gateway error body, or the body itself when it is short text. A refused
 * event stream's body is the stream's error chunk instead, `{"error": {"message": …}}`, as a
 * server-sent event (`data: … \n\n`) when asked for those (grpc-gateway v1.16
 * handleForwardResponseStreamError).
 */
function messageOf(body: string): string {
  const text = body.trim();
  if (!text) return '';
  try {
    const json = JSON.parse(text.replace(/^data:/, ''));
    const parsed = ErrorBody.safeParse(json);
    if (parsed.success) return (parsed.data.message ?? parsed.data.error ?? '').trim();
    const chunk = StreamMessage.safeParse(json);
    if (chunk.success && chunk.data.error) return (chunk.data.error.message ?? '').trim();
  } catch {
    // Not JSON: a proxy's page or plain text.
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

// fetch wraps the socket error ("ECONNREFUSED") in a TypeError("fetch failed").
function causeText(err: Error): string {
  const cause = (err as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) return `${err.message}: ${cause.message}`;
  return err.message;
}
