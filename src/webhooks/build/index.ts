import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Engine } from '../../engine/index.js';
import { readBody } from '../../http/body.js';
import { type Route, sendJson, sendNotConfigured } from '../../http/router.js';
import { answerFor } from './answer.js';
import { parseBody } from './body.js';
import { resolveBuild } from './build.js';
import { deployBuild } from './deploy.js';
import { authenticate, checkCredentialHeaders } from './signature.js';
import { type HookRefusal, hookRefusal, isRefusal } from './types.js';

/** A build notification is a few hundred bytes; anything near this is not one. */
export const BODY_LIMIT = 64 * 1024;

export interface BuildHookDeps {
  engine: Engine;
  config: Config;
  /** SLIPWAY_WEBHOOK_SECRET (settings.integrations.webhookSecret); unset refuses every build. */
  secret: string | undefined;
  log: Logger;
  now?: () => Date;
}

/**
 * `POST /hooks/build`: CI says a build is ready (seeds/001, step 4) and Slipway deploys it
 * where `autoDeploy` says. Checks in order: configured (503), credentials as far as the headers
 * show them (401: a bearer token in full, a signature's form), size (413), the signature over the
 * body (401), body (415/400), freshness (401), names and versions (400/404); then the engine
 * decides. Nothing of the body is read before the headers pass.
 */
export function buildHookRoute(deps: BuildHookDeps): Route {
  const log = deps.log.child({ component: 'build-hook' });
  return {
    method: 'POST',
    path: '/hooks/build',
    hook: 'build',
    async handler(req, res) {
      const secret = deps.secret;
      if (!secret) return sendNotConfigured(res, NOT_CONFIGURED);
      const unread = checkCredentialHeaders(req.headers, secret);
      if (unread) {
        log.warn(
          { problem: unread, remote: req.socket.remoteAddress },
          'refused an unauthenticated build',
        );
        return refuse(res, hookRefusal(401, 'unauthorized', unread));
      }
      const raw = await readBody(req, BODY_LIMIT);
      const problem = authenticate(req.headers, raw, secret);
      if (problem) {
        log.warn({ problem, remote: req.socket.remoteAddress }, 'refused an unauthenticated build');
        return refuse(res, hookRefusal(401, 'unauthorized', problem));
      }
      const body = parseBody(req.headers['content-type'], raw.toString('utf8'));
      if (isRefusal(body)) return refuse(res, body);
      const build = resolveBuild(body.fields, deps.config, deps.now?.() ?? new Date());
      if (isRefusal(build)) {
        log.info({ error: build.error, reason: build.message }, 'refused a build');
        return refuse(res, build);
      }
      const hash = createHash('sha256').update(raw).digest('hex');
      const outcome = await deployBuild(deps, build, hash);
      const answer = answerFor(build, outcome);
      log.info(
        {
          service: build.service,
          version: build.version,
          ref: build.ref,
          status: answer.status,
          deployments: outcome.placed.map((p) => p.id),
          refused: outcome.declined.map((d) => d.code),
        },
        'build received',
      );
      sendJson(res, answer.status, answer.body);
    },
  };
}

const NOT_CONFIGURED =
  'Slipway refuses builds until a webhook secret is set: set SLIPWAY_WEBHOOK_SECRET (or SLIPWAY_WEBHOOK_SECRET_FILE) on the Slipway server and sign builds with it.';

function refuse(res: ServerResponse, refusal: HookRefusal): void {
  const { status, error, message, suggestion } = refusal;
  sendJson(res, status, { error, message, ...(suggestion ? { suggestion } : {}) });
}
