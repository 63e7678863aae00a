import type { Logger } from 'pino';
import { ValidationError } from '../../core/errors.js';
import { secretFrom } from '../../core/secrets.js';
import { type AppRef, type ArgoCdClient, type ClientTuning, createClient } from './client.js';
import type { Application, ArgoCdOptions, Source } from './schema.js';

/** The server from ARGOCD_SERVER, without a trailing slash; read when needed, not at start. */
export function serverFrom(env: NodeJS.ProcessEnv): string {
  const server = env.ARGOCD_SERVER?.trim();
  if (!server) {
    throw new ValidationError(
      'ARGOCD_SERVER is not set: set it where Slipway runs to the URL of the Argo CD API server, e.g. https://argocd.example.com.',
    );
  }
  if (!/^https?:\/\/[^\s/]+/.test(server)) {
    throw new ValidationError(
      `ARGOCD_SERVER is "${server}": give the URL of the Argo CD API server, e.g. https://argocd.example.com.`,
    );
  }
  return server.replace(/\/+$/, '');
}

/** A client for the server and token in `env` (the token file is read again each time: rotation). */
export function clientFrom(
  env: NodeJS.ProcessEnv,
  log: Logger,
  tuning: ClientTuning,
): ArgoCdClient {
  const server = serverFrom(env);
  const token = secretFrom(env, 'ARGOCD_TOKEN');
  if (!token) {
    throw new ValidationError(
      'ARGOCD_TOKEN is not set: create an API token for Slipway\'s Argo CD account ("argocd account generate-token --account slipway") and put it in ARGOCD_TOKEN, or in a file named by ARGOCD_TOKEN_FILE.',
    );
  }
  return createClient(server, token, log, tuning);
}

export function refOf(options: ArgoCdOptions): AppRef {
  return {
    name: options.application,
    ...(options.appNamespace ? { appNamespace: options.appNamespace } : {}),
    ...(options.project ? { project: options.project } : {}),
  };
}

/** The application's page in Argo CD's UI (apps in other namespaces are addressed namespace/name). */
export function pageOf(server: string, ref: AppRef): string {
  const path = ref.appNamespace ? `${ref.appNamespace}/${ref.name}` : ref.name;
  return `${server}/applications/${path}`;
}

/** The application's one source: the version is set there. */
export function singleSource(app: Application): Source {
  if (app.spec.source) return app.spec.source;
  const why = app.spec.sources?.length ? 'several sources (spec.sources)' : 'no source';
  throw new ValidationError(
    `Argo CD application ${app.metadata.name} has ${why}: the argocd driver sets the version in the source of a single-source application.`,
  );
}
