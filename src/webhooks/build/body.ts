import { type HookRefusal, hookRefusal } from './types.js';

/** The media types a CI step sends: `curl --data-binary` with a JSON body, or `curl -d` fields. */
const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Wrapped, not bare: the fields are whatever the sender chose, and must not pass for a refusal. */
export interface ParsedBody {
  fields: Record<string, unknown>;
}

/**
 * The fields of a build notification, from a JSON object or form fields. Empty strings and
 * nulls are dropped: a CI variable that is not set (`commit=$UNSET`) means "not given".
 */
export function parseBody(contentType: string | undefined, raw: string): ParsedBody | HookRefusal {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === JSON_TYPE) return parseJson(raw);
  if (type === FORM_TYPE) return parseForm(raw);
  return hookRefusal(
    415,
    'unsupported_media_type',
    `Content-Type is ${type === '' ? 'missing' : `"${type}"`}: send the build as ${JSON_TYPE} or ${FORM_TYPE}.`,
  );
}

function parseJson(raw: string): ParsedBody | HookRefusal {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return hookRefusal(
      400,
      'malformed_json',
      `The body is not valid JSON (${(err as Error).message}); send one JSON object.`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return hookRefusal(
      400,
      'malformed_json',
      'The body must be one JSON object, like {"service":"web","image":"…","type":"branch","target":"main"}.',
    );
  }
  return withoutEmpty(Object.entries(value));
}

function parseForm(raw: string): ParsedBody | HookRefusal {
  const params = new URLSearchParams(raw);
  const seen = new Set<string>();
  for (const key of params.keys()) {
    // Two values for one field leave it unclear which one CI meant; guessing could deploy the wrong one.
    if (seen.has(key)) {
      return hookRefusal(400, 'invalid_build', `${key} is given more than once: send it once.`);
    }
    seen.add(key);
  }
  return withoutEmpty([...params.entries()]);
}

function withoutEmpty(entries: [string, unknown][]): ParsedBody {
  // fromEntries defines own properties: a "__proto__" field stays a field, not a prototype.
  return { fields: Object.fromEntries(entries.filter(([, v]) => v !== null && v !== '')) };
}
