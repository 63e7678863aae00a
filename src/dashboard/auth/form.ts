import type { IncomingMessage } from 'node:http';
import { readBody } from '../../http/body.js';
import { parseJson } from '../../http/request.js';

/** A dashboard form is a few fields and a token; anything larger is not one of ours. */
export const FORM_LIMIT = 16 * 1024;

/**
 * The body of a dashboard action: a form's fields (each field once, its first value), or a
 * JSON object from a page's script. Anything else is an empty object, which carries no token.
 */
export async function readForm(
  req: IncomingMessage,
  limit = FORM_LIMIT,
): Promise<Record<string, unknown>> {
  const text = (await readBody(req, limit)).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const json = parseJson(text);
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : {};
  }
  const form: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) if (!(key in form)) form[key] = value;
  return form;
}
