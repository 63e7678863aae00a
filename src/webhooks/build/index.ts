import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Engine } from '../../engine/index.js';
import { type Route, sendJson } from '../../http/router.js';
import { answerFor } from './answer.js';
import { parseBody } from './body.js';
import { resolveBuild } from './build.js';
import { deployBuild } from './deploy.js';
import { authenticate } from './signature.js';
import { type HookRefusal, hookRefusal, isRefusal } from './types.js';

export { signBody } from './signature.js';

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
 * where `autoDeploy` says. Checks in order: configured (503), size (413), signature (401),
 * body (415/400), freshness (401), names and versions (400/404); then the engine decides.
 */
export function buildHookRoute(deps: BuildHookDeps): Route {
  const log = deps.log.child({ component: 'build-hook' });
  return {
    method: 'POST',
    path: '/hooks/build',
    hook: 'build',
    async handler(req, res) {
      const secret = deps.secret;
      if (!secret) {
        req.resume();
        return refuse(res, NOT_CONFIGURED);
      }
      const raw = await readLimited(req, res);
      if (raw === null) return refuse(res, TOO_LARGE);
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

const NOT_CONFIGURED = hookRefusal(
  503,
  'not_configured',
  'Slipway refuses builds until a webhook secret is set: set SLIPWAY_WEBHOOK_SECRET (or SLIPWAY_WEBHOOK_SECRET_FILE) on the Slipway server and sign builds with it.',
);

const TOO_LARGE = hookRefusal(
  413,
  'too_large',
  `The body is larger than ${BODY_LIMIT / 1024} KiB; a build notification is a few fields.`,
);

function refuse(res: ServerResponse, refusal: HookRefusal): void {
  const { status, error, message, suggestion } = refusal;
  sendJson(res, status, { error, message, ...(suggestion ? { suggestion } : {}) });
}

/**
 * The body, or null when it is larger than BODY_LIMIT. Past the limit the rest is drained and
 * dropped, not read into memory, and the connection closes after the 413: the client sees the
 * answer instead of a reset, and cannot keep the request open by streaming forever.
 */
function readLimited(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > BODY_LIMIT) return Promise.resolve(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      resolve(tooLarge());
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', reject);
  });

  function tooLarge(): null {
    req.resume();
    res.setHeader('connection', 'close');
    return null;
  }
}
