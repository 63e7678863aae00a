import type { IncomingMessage } from 'node:http';
import { parse as parseQuery } from 'node:querystring';

/** A request header's value; the first, when it came more than once. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `text` as JSON, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A body that platforms send as JSON or as a form: a form whose `payload` field holds the JSON
 * (Slack's interactivity, GitHub's form content type) is that JSON; any other form (Slack's
 * slash commands) is its fields. The declared content type decides; without one, JSON if it
 * parses, else a form. Undefined when it is neither.
 */
export function parseJsonOrForm(contentType: string | undefined, raw: string): unknown {
  const type = contentType ?? '';
  if (type.includes('application/json')) return parseJson(raw);
  if (!type.includes('application/x-www-form-urlencoded')) {
    const json = parseJson(raw);
    if (json !== undefined) return json;
  }
  const form = parseForm(raw);
  return typeof form.payload === 'string' ? parseJson(form.payload) : form;
}

function parseForm(raw: string): Record<string, string> {
  const form: Record<string, string> = {};
  // node:querystring: the same form decoding as URLSearchParams, at a fraction of the cost.
  for (const [key, value] of Object.entries(parseQuery(raw))) {
    // Platforms send each field once; a repeated one keeps its first value, never a list.
    form[key] = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  }
  return form;
}
