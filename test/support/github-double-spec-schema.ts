import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Ajv as AjvInstance, ErrorObject } from 'ajv';
import * as formatsModule from 'ajv-formats';

/**
 * What the GitHub double's checks against GitHub's descriptions share (github-double-spec.ts for
 * the REST API, github-double-spec-webhooks.ts for webhooks): ajv's settings and formats, the
 * components handed to ajv as schemas reach them, and violations as a test reads them.
 */

/** What the description does not allow, where, and in which operation (or webhook). */
export interface SpecViolation {
  kind: 'request' | 'response' | 'webhook';
  /** The operationId (`actions/create-workflow-dispatch`), or the webhook (`workflow_run.completed`). */
  operation: string;
  /** What was checked: `POST /repos/acme/web/deployments`, `201 from …`, `workflow_run webhook`. */
  subject: string;
  /** JSON pointer into what was checked: `/body/ref`, `/query/per_page`, `/path/run_id`, `/body`. */
  pointer: string;
  message: string;
}

export function describeViolation(v: SpecViolation): string {
  return `${v.kind} ${v.operation} (${v.subject}) at ${v.pointer || '/'}: ${v.message}`;
}

export type Json = Record<string, unknown>;

const require = createRequire(import.meta.url);

/**
 * Compiling is what the check costs, once per test file: a component is compiled once and
 * shared rather than inlined in each schema that uses it, required properties are checked in a
 * loop rather than one statement each (a repository requires 80), and ajv's code optimisation
 * is skipped. Measured on the operations Slipway uses and the `workflow_run` webhooks (2 shared
 * cores, load 18): 0.9–1.2 s to compile the ten operations and 2.6–2.9 s the webhooks with
 * ajv's defaults, 0.5 s and 1.05 s so.
 */
export const AJV_OPTIONS = {
  strict: false,
  allErrors: false,
  inlineRefs: false,
  loopRequired: 8,
  code: { optimize: false },
} as const;
export const SPEC_FILE = 'generated/api.github.com.json';

export function packageRoot(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

export function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

// ajv-formats is CommonJS with a default export; reached through the namespace either way.
const addFormats = ((formatsModule as unknown as { default?: unknown }).default ??
  formatsModule) as unknown as (ajv: AjvInstance) => AjvInstance;

export function withFormats(ajv: AjvInstance): AjvInstance {
  addFormats(ajv);
  const uri = /^[a-z][a-z0-9+.-]*:[^\s]*$/i;
  // GitHub answers "" for a deployment status's target_url, log_url and environment_url when none
  // was given (each is `default: ""` in the description) though they are declared `format: uri`.
  ajv.addFormat('uri', (value: string) => value === '' || uri.test(value));
  ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
  return ajv;
}

/**
 * The components ajv holds under one id (`spec`, `webhooks`). Handing ajv all of them at once
 * costs about a second, as it walks every one looking for ids; so `root` starts empty and each
 * component is put in it the first time a compiled schema reaches it, before that compile.
 */
export interface Components {
  root: { $id: string; components: { schemas: Json } };
  all: Json;
  included: WeakSet<object>;
}

const COMPONENT = '#/components/schemas/';

export function componentsOf(id: string, doc: Json, ajv: AjvInstance): Components {
  const root = { $id: id, components: { schemas: {} } };
  ajv.addSchema(root, id);
  return { root, all: (doc.components as Json).schemas as Json, included: new WeakSet() };
}

/** Puts in `root` every component `node` refers to, and theirs in turn. */
export function include(node: unknown, c: Components): void {
  if (node === null || typeof node !== 'object' || c.included.has(node)) return;
  c.included.add(node);
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT)) {
      const name = value.slice(COMPONENT.length);
      if (name in c.root.components.schemas) continue;
      c.root.components.schemas[name] = c.all[name];
      include(c.all[name], c);
    } else if (key !== 'example' && key !== 'examples') include(value, c);
  }
}

export function violationsOf(
  errors: ErrorObject[] | null | undefined,
  data: unknown,
  at: string,
  base: Omit<SpecViolation, 'pointer' | 'message'>,
): SpecViolation[] {
  return (errors ?? []).slice(0, 5).map((e) => {
    const extra =
      e.keyword === 'required'
        ? `/${(e.params as { missingProperty: string }).missingProperty}`
        : e.keyword === 'additionalProperties'
          ? `/${(e.params as { additionalProperty: string }).additionalProperty}`
          : '';
    const value = valueAt(data, e.instancePath);
    const what =
      e.keyword === 'required'
        ? 'is required but missing'
        : e.keyword === 'additionalProperties'
          ? 'is not a property the description allows here (additionalProperties: false)'
          : e.keyword === 'maxProperties'
            ? `the maximum number of properties is ${(e.params as { limit: number }).limit}`
            : e.keyword === 'type'
              ? `${JSON.stringify(value)} is not ${article(String((e.params as { type: string }).type))}`
              : e.keyword === 'enum'
                ? `${JSON.stringify(value)} is not one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`
                : `${JSON.stringify(value)} ${e.message ?? 'is invalid'}`;
    return { ...base, pointer: `${at}${e.instancePath}${extra}`, message: what };
  });
}

function article(type: string): string {
  return type.includes(',') ? `one of ${type}` : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function valueAt(data: unknown, pointer: string): unknown {
  let at = data;
  for (const part of pointer.split('/').slice(1))
    at = (at as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return at;
}
