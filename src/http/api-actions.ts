import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { PeopleSource } from '../core/people.js';
import type { Engine } from '../engine/index.js';
import { withPeople } from './api-people.js';
import { readBody } from './body.js';
import { type Route, sendJson } from './router.js';

const IN_THE_WAY = new Set(['not_cancellable', 'not_retryable', 'busy']);

/** Small: a reason is a sentence, not a file. */
const ACTION_BODY_LIMIT = 16 * 1024;

const ActionBody = z
  .object({ reason: z.string().trim().min(1).max(500).optional() })
  .strict()
  .describe('Optional JSON body of an API action: {"reason": "…"}.');

/**
 * Acting through the API: cancel (a running deployment stops and rolls back) and retry. The
 * caller acts as the configured operator, as the CLI does, and goes through the same engine
 * and policy. Unlike reading, acting needs SLIPWAY_API_TOKEN even from this machine: the
 * database file is the owner's alone, and a local process must not gain through the port what
 * it could not do with the file.
 */
export function apiActionRoutes(deps: {
  engine: Pick<Engine, 'cancel' | 'retry'>;
  operator: string;
  apiToken: string | undefined;
  /** Where the names of people in answers come from (the store). */
  people: PeopleSource;
}): Route[] {
  const act =
    (verb: 'cancel' | 'retry') =>
    async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => {
      if (!deps.apiToken) {
        return sendJson(res, 403, {
          error: 'api_token_not_set',
          message: `Acting through the API needs SLIPWAY_API_TOKEN on the server, sent as Authorization: Bearer <token>; without it, use slipway ${verb} <deployment-id>.`,
        });
      }
      const body = await readBody(req, ACTION_BODY_LIMIT);
      const text = body.toString('utf8').trim();
      let json: unknown = {};
      try {
        json = text === '' ? {} : JSON.parse(text);
      } catch {
        return sendJson(res, 400, { error: 'invalid_body', message: 'The body is not JSON.' });
      }
      const parsed = ActionBody.safeParse(json);
      if (!parsed.success) {
        return sendJson(res, 400, {
          error: 'invalid_body',
          message: `Send {"reason": "…"} or nothing: ${parsed.error.issues.map((i) => i.message).join('; ')}.`,
        });
      }
      const caller = {
        actor: deps.operator,
        source: 'api' as const,
        channel: null,
        deploymentId: params.id ?? '',
        reason: parsed.data.reason ?? null,
      };
      const result =
        verb === 'cancel' ? await deps.engine.cancel(caller) : await deps.engine.retry(caller);
      if (!result.ok) {
        // The deployment's state is in the way: 409. Policy said no: 403.
        const status = result.code === 'not_found' ? 404 : IN_THE_WAY.has(result.code) ? 409 : 403;
        const refusal = { error: result.code, message: result.reason };
        return sendJson(res, status, await withPeople(deps.people, refusal));
      }
      const answer = { deployment: result.deployment };
      return sendJson(res, verb === 'retry' ? 201 : 200, await withPeople(deps.people, answer));
    };
  return [
    { method: 'POST', path: '/api/deployments/:id/cancel', handler: act('cancel') },
    { method: 'POST', path: '/api/deployments/:id/retry', handler: act('retry') },
  ];
}
